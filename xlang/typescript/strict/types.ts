// The message types each generator makes from the checked-in spec, under
// one name per generator, for the files beside this one. xlang/run.sh
// generates them into xlang/.generated/ before compiling:
//   openapi-typescript      spec/openapi.json      -> .generated/openapi-typescript/openapi.ts
//   json-schema-to-typescript spec/*.schema.json   -> .generated/json-schema-to-typescript/*.ts
//   quicktype               spec/*.schema.json     -> .generated/ts/*.ts
import type { components, paths } from "../../.generated/openapi-typescript/openapi.js";
import type { CancelRequest as J2tCancelRequest } from "../../.generated/json-schema-to-typescript/cancel-request.js";
import type { InquiryRequest as J2tInquiryRequest } from "../../.generated/json-schema-to-typescript/inquiry-request.js";
import type { CancelResponse as J2tCancelResponse } from "../../.generated/json-schema-to-typescript/cancel-response.js";
import type { InquiryResponse as J2tInquiryResponse } from "../../.generated/json-schema-to-typescript/inquiry-response.js";
import type { CancelRequest as QtCancelRequest } from "../../.generated/ts/cancel-request.js";
import type { CancelResponse as QtCancelResponse } from "../../.generated/ts/cancel-response.js";
import type { InquiryResponse as QtInquiryResponse } from "../../.generated/ts/inquiry-response.js";

// openapi-typescript: the component, and the body of the cancel operation
// as a client would reach it (through `paths`).
export type OatCancelRequest = components["schemas"]["CancelRequest"];
export type OatCancelBody =
  paths["/ams/api/v1/payments/cancel"]["post"]["requestBody"]["content"]["application/json"];
export type OatInquiryRequest = components["schemas"]["InquiryRequest"];
export type OatCancelResponse = components["schemas"]["CancelResponse"];
export type OatInquiryResponse = components["schemas"]["InquiryResponse"];
export type {
  J2tCancelRequest,
  J2tCancelResponse,
  J2tInquiryRequest,
  J2tInquiryResponse,
  QtCancelRequest,
  QtCancelResponse,
  QtInquiryResponse,
};
