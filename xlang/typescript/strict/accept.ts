// Requests the schema accepts, which every generated type must accept too:
// this file must compile under `tsc --strict` (xlang/typescript/check-types.mjs).
// Every valid spec/corpus entry is also checked, per generator, by the
// generated .generated/*/samples.ts; these are the shapes a client writes.
import type {
  J2tCancelRequest,
  J2tInquiryRequest,
  OatCancelBody,
  OatCancelRequest,
  OatInquiryRequest,
  QtCancelRequest,
} from "./types.js";

// By either id, by both, with a merchant account, and with the other id
// sent as null (null counts as absent, rule ident.null-means-absent).
export const oat: OatCancelRequest[] = [
  { paymentId: "P1" },
  { paymentRequestId: "R1" },
  { paymentId: "P1", paymentRequestId: "R1", merchantAccountId: "M1" },
  { paymentId: null, paymentRequestId: "R1" },
  { paymentId: "P1", paymentRequestId: null, merchantAccountId: null },
];
export const oatBody: OatCancelBody = { paymentId: "P1" };
export const j2t: J2tCancelRequest[] = [
  { paymentId: "P1" },
  { paymentRequestId: "R1" },
  { paymentId: "P1", paymentRequestId: "R1", merchantAccountId: "M1" },
  { paymentId: null, paymentRequestId: "R1" },
  { paymentId: "P1", paymentRequestId: null, merchantAccountId: null },
];
export const qt: QtCancelRequest[] = [
  { paymentId: "P1" },
  { paymentRequestId: "R1" },
  { paymentId: "P1", paymentRequestId: "R1", merchantAccountId: "M1" },
  { paymentId: null, paymentRequestId: "R1" },
];

// The inquiry request is open: other fields are allowed.
export const oatInquiries: OatInquiryRequest[] = [
  { paymentId: "P1", extendInfo: "x" },
  { paymentRequestId: "R1", extendInfo: "x" },
];
export const j2tInquiries: J2tInquiryRequest[] = [
  { paymentId: "P1", extendInfo: "x" },
  { paymentRequestId: "R1", extendInfo: "x" },
];

// A union narrows the way a client reads it: with `paymentId` absent or
// null, the type knows `paymentRequestId` is a string.
export function decidingId(request: OatCancelRequest | J2tCancelRequest): string {
  if (request.paymentId != null) {
    return request.paymentId;
  }
  return "paymentRequestId" in request && typeof request.paymentRequestId === "string"
    ? request.paymentRequestId
    : "";
}
