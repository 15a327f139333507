// Messages the schema rejects, typed with openapi-typescript's
// types: this file must NOT compile under `tsc --strict`, and
// xlang/typescript/check-types.mjs checks that tsc reports an error on every
// line marked `// must not compile` and on no other line.
import type { OatCancelBody, OatCancelRequest, OatCancelResponse, OatInquiryRequest, OatInquiryResponse } from "./types.js";

export const notAnObject: OatCancelRequest = 42; // must not compile: not an object
export const neitherId: OatCancelRequest = {}; // must not compile: names no payment
export const merchantOnly: OatCancelRequest = { merchantAccountId: "M1" }; // must not compile: names no payment
export const twoNullIds: OatCancelRequest = { paymentId: null, paymentRequestId: null }; // must not compile: null is absent
export const amount: OatCancelRequest = { paymentId: "P1", cancelAmount: { currency: "USD", value: "100" } }; // must not compile: unknown field
export const numericId: OatCancelRequest = { paymentId: 2019061218401080 }; // must not compile: id is a string
export const bodyWithAmount: OatCancelBody = { paymentRequestId: "R1", cancelAmount: 1 }; // must not compile: unknown field
export const inquiryNeitherId: OatInquiryRequest = { merchantAccountId: "M1" }; // must not compile: names no payment

// Answers: the fields and their types carry over (the rules between fields
// do not; the schemas' descriptions say so).
export const noResult: OatCancelResponse = { paymentId: "P1" }; // must not compile: result is required
export const unknownStatus: OatCancelResponse = { result: { resultCode: "SUCCESS", resultStatus: "X", resultMessage: "m" } }; // must not compile: status is S, F or U
export const lowerCaseStatus: OatInquiryResponse = { result: { resultCode: "SUCCESS", resultStatus: "S", resultMessage: "m" }, paymentStatus: "cancelled" }; // must not compile: paymentStatus is case-sensitive
