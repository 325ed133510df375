// What bin/medprov runs, as an entry point for the bundle test/helpers/build-bundles.ts makes.
import { main } from "../../src/cli/main";

void main();
