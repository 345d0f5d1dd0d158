// Object schemas: strict field checks, OpenAPI v3 documents and patch merge strategies.
export { strictDecodingError, unknownFields } from './unknown-fields.js';
export { openApiV3Documents, openApiPathOf, type OpenApiV3Documents } from './openapi.js';
export { mergeStrategyAt, type MergeStrategy } from './merge.js';
export { catalog, rootTypeOf, schemaNameOf } from './catalog.js';
export type { FieldDef, FieldKind, PatchStrategy, TypeDef } from './dsl.js';
