// Messages the schema rejects, typed with json-schema-to-typescript's
// types: this file must NOT compile under `tsc --strict`, and
// xlang/typescript/check-types.mjs checks that tsc reports an error on every
// line marked `// must not compile` and on no other line.
import type { J2tCancelRequest, J2tCancelResponse, J2tInquiryRequest, J2tInquiryResponse } from "./types.js";

export const notAnObject: J2tCancelRequest = 42; // must not compile: not an object
export const neitherId: J2tCancelRequest = {}; // must not compile: names no payment
export const merchantOnly: J2tCancelRequest = { merchantAccountId: "M1" }; // must not compile: names no payment
export const twoNullIds: J2tCancelRequest = { paymentId: null, paymentRequestId: null }; // must not compile: null is absent
export const amount: J2tCancelRequest = { paymentId: "P1", cancelAmount: { currency: "USD", value: "100" } }; // must not compile: unknown field
export const numericId: J2tCancelRequest = { paymentId: 2019061218401080 }; // must not compile: id is a string
export const inquiryNeitherId: J2tInquiryRequest = { merchantAccountId: "M1" }; // must not compile: names no payment

// Answers: the fields and their types carry over (the rules between fields
// do not; the schemas' descriptions say so).
export const noResult: J2tCancelResponse = { paymentId: "P1" }; // must not compile: result is required
export const unknownStatus: J2tCancelResponse = { result: { resultCode: "SUCCESS", resultStatus: "X", resultMessage: "m" } }; // must not compile: status is S, F or U
export const lowerCaseStatus: J2tInquiryResponse = { result: { resultCode: "SUCCESS", resultStatus: "S", resultMessage: "m" }, paymentStatus: "cancelled" }; // must not compile: paymentStatus is case-sensitive
