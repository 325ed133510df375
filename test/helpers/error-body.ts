/**
 * An error answer's code and message, whatever its shape: `{error:{code,message}}` everywhere but
 * /fhir, where errors are OperationOutcomes (the code in issue[0].details.coding, the message in
 * diagnostics).
 */
export function errorOf(body: any): { code?: string; message?: string } | undefined {
  if (body?.resourceType === "OperationOutcome") return { code: body.issue?.[0]?.details?.coding?.[0]?.code, message: body.issue?.[0]?.diagnostics };
  return body?.error;
}
