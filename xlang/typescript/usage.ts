// Hand-written user of the TypeScript types quicktype generates from
// spec/*.schema.json (into xlang/.generated/ts/, by xlang/run.sh). It is
// compiled with `tsc --strict --noEmit`: if a schema change makes the types
// unusable (a field renamed or retyped, an enum losing a value, a message
// type gone), this stops compiling. The seed samples (the valid corpus
// entries that are also the schemas' examples) are written out here as
// literals; every other valid corpus entry is checked the same way by the
// generated xlang/.generated/ts/samples.ts.
import type { CancelRequest } from "../.generated/ts/cancel-request.js";
import type { CancelResponse, ResultStatus } from "../.generated/ts/cancel-response.js";
import type { InquiryRequest } from "../.generated/ts/inquiry-request.js";
import type { InquiryResponse, PaymentStatus } from "../.generated/ts/inquiry-response.js";

export const cancelByPaymentId: CancelRequest = {
  paymentId: "2019061218401080010018882020035XXXX",
};
export const cancelByPaymentRequestId: CancelRequest = {
  paymentRequestId: "paymentRequestIdXXXX",
};
export const cancelSucceeded: CancelResponse = {
  cancelTime: "2019-06-12T19:07:11+08:00",
  paymentId: "2019061218401080010018882020035XXXX",
  paymentRequestId: "pay_2089760038715669_20277574507XXXX",
  result: { resultCode: "SUCCESS", resultMessage: "Success", resultStatus: "S" },
};
export const inquiry: InquiryRequest = {
  paymentId: "2019061218401080010018882020035XXXX",
};
export const inquiryCancelled: InquiryResponse = {
  paymentId: "2019061218401080010018882020035XXXX",
  paymentRequestId: "pay_2089760038715669_20277574507XXXX",
  paymentStatus: "CANCELLED",
  result: { resultCode: "SUCCESS", resultMessage: "Success", resultStatus: "S" },
};

// What a client does with an answer: exhaustive over the enums, so a status
// added to or removed from the schema is a compile error here.
export function nextStep(status: ResultStatus): "done" | "give up" | "retry" {
  switch (status) {
    case "S":
      return "done";
    case "F":
      return "give up";
    case "U":
      return "retry";
  }
}
export function isFinal(status: PaymentStatus): boolean {
  switch (status) {
    case "SUCCESS":
    case "FAIL":
    case "CANCELLED":
      return true;
    case "PROCESSING":
    case "PENDING":
      return false;
  }
}
export function cancelledAt(answer: CancelResponse): string | undefined {
  return nextStep(answer.result.resultStatus) === "done" ? answer.cancelTime : undefined;
}
export function inquiryStatus(answer: InquiryResponse): PaymentStatus | undefined {
  return answer.result.resultStatus === "S" ? answer.paymentStatus : undefined;
}
