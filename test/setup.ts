// Hardhat loads hardhat.config.ts with plain require(); ts-node must be registered first.
import "ts-node/register/transpile-only";
