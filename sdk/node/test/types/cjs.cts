// cjs.cts — type-checked, never run (npm run test:types): a CommonJS consumer.
import { Database, kindOf, type ErrorKind } from "@shale-db/sdk";

export const kindOfFirstQuery = (db: Database): Promise<ErrorKind> =>
  db.query("SELECT 1").then(() => "other" as ErrorKind, (error: unknown) => kindOf(error));
