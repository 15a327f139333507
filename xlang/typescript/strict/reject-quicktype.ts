// Cancel requests the schema rejects, typed with quicktype's CancelRequest:
// this file must NOT compile under `tsc --strict`, and
// xlang/typescript/check-types.mjs checks that tsc reports an error on every
// line marked `// must not compile` and on no other line. What quicktype
// cannot reject is in quicktype-gaps.ts.
import type { QtCancelRequest } from "./types.js";

export const notAnObject: QtCancelRequest = 42; // must not compile: not an object
export const amount: QtCancelRequest = { paymentId: "P1", cancelAmount: { currency: "USD", value: "100" } }; // must not compile: unknown field
export const numericId: QtCancelRequest = { paymentId: 2019061218401080 }; // must not compile: id is a string
