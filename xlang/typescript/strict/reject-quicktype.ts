// Messages the schema rejects, typed with quicktype's types:
// this file must NOT compile under `tsc --strict`, and
// xlang/typescript/check-types.mjs checks that tsc reports an error on every
// line marked `// must not compile` and on no other line. What quicktype
// cannot reject is in quicktype-gaps.ts.
import type { QtCancelRequest, QtCancelResponse, QtInquiryResponse } from "./types.js";

export const notAnObject: QtCancelRequest = 42; // must not compile: not an object
export const amount: QtCancelRequest = { paymentId: "P1", cancelAmount: { currency: "USD", value: "100" } }; // must not compile: unknown field
export const numericId: QtCancelRequest = { paymentId: 2019061218401080 }; // must not compile: id is a string

// Answers: the fields and their types carry over (the rules between fields
// do not; the schemas' descriptions say so).
export const noResult: QtCancelResponse = { paymentId: "P1" }; // must not compile: result is required
export const unknownStatus: QtCancelResponse = { result: { resultCode: "SUCCESS", resultStatus: "X", resultMessage: "m" } }; // must not compile: status is S, F or U
export const lowerCaseStatus: QtInquiryResponse = { result: { resultCode: "SUCCESS", resultStatus: "S", resultMessage: "m" }, paymentStatus: "cancelled" }; // must not compile: paymentStatus is case-sensitive
