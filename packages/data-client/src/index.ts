/**
 * `@vector/data-client`: a tiny client, with no dependency but `fetch`, for a generated app to
 * use its project's runtime data through its deployment's data token — in the browser or in Node.
 * @packageDocumentation
 */
export {
  createDataClient,
  type DataClient,
  type DataClientOptions,
  type DataColumnInfo,
  type DataColumnType,
  type DataListQuery,
  type DataPage,
  type DataRow,
  type DataTableHandle,
  type DataTableInfo,
  type DataTablesShape,
  type DataWhere,
} from './create-data-client.js';
export { DataClientError, type DataClientErrorOptions } from './data-client-error.js';
