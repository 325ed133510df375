/**
 * The input formats a user writes (model cards, trace records, dataset record lines, signed consent
 * requests): their JSON Schemas, published under schemas/ and served at /schemas/<name>.json, and the
 * check that lists every problem of a file at once. This file is the folder's one door.
 */
export { INPUT_SCHEMAS, INPUT_FORMATS, type InputFormat } from "./schemas";
export { checkFormat, problemLine, type FormatProblem } from "./validate";
