/** The published input formats (schemas/*.json, from src/formats/schemas.ts), for clients that validate before sending. */
import { INPUT_FORMATS, INPUT_SCHEMAS, type InputFormat } from "../../formats";
import type { Kit } from "../app";

export function inputFormatRoutes({ app, route, found }: Kit): void {
  app.get(
    "/schemas/:file",
    route("public", {
      params: { type: "object", properties: { file: { type: "string", pattern: "^[a-z-]{1,40}\\.json$" } }, required: ["file"], additionalProperties: false },
      response: { 200: { type: "object", additionalProperties: true } },
    }, ["formats"]),
    async (req) => {
      const name = (req.params as { file: string }).file.replace(/\.json$/, "");
      return found(Object.hasOwn(INPUT_SCHEMAS, name) ? INPUT_SCHEMAS[name as InputFormat] : undefined, `input format ${name} (one of ${INPUT_FORMATS.join(", ")})`);
    },
  );
}
