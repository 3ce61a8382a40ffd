// Settings for the client tests, read from the environment that NodeClientTests.cs (or a person) provides.
// Every value is required: a missing one fails loudly instead of letting an SDK fall back to a hosted default.

function required(name) {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set; run these tests through NodeClientTests.cs or export it yourself.`);
  }
  return value;
}

/** The gateway's root, e.g. http://127.0.0.1:5123 (no /v1). */
export const BASE_URL = required('PORTCULLIS_BASE_URL').replace(/\/+$/, '');

/** The OpenAI-compatible base URL every client is pointed at. */
export const API_URL = `${BASE_URL}/v1`;

/** A gateway key with the admin scopes (virtual-keys.*). */
export const ADMIN_KEY = required('PORTCULLIS_ADMIN_KEY');

/** A gateway key with completions.write only. */
export const GATEWAY_KEY = required('PORTCULLIS_GATEWAY_KEY');

/** A provider key the mock upstream accepts. */
export const MOCK_KEY = required('PORTCULLIS_MOCK_KEY');

/** The slug of an existing virtual key that holds MOCK_KEY. */
export const VIRTUAL_KEY = required('PORTCULLIS_VIRTUAL_KEY');

/** The slug of an azure-openai virtual key whose custom_host is the mock; its default deployment has alias AZURE_ALIAS. */
export const AZURE_VIRTUAL_KEY = required('PORTCULLIS_AZURE_VIRTUAL_KEY');

/** The alias (not the deployment name) of the Azure key's default deployment. */
export const AZURE_ALIAS = 'gpt4o';

/** The slug of an anthropic virtual key; the gateway's Anthropic base URL is the mock. */
export const ANTHROPIC_VIRTUAL_KEY = required('PORTCULLIS_ANTHROPIC_VIRTUAL_KEY');

/** Collects a chat completion stream into its text, finish reason and chunk count. */
export async function collectChatStream(stream) {
  let text = '';
  let finishReason = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks += 1;
    const choice = chunk.choices?.[0];
    text += choice?.delta?.content ?? '';
    finishReason = choice?.finish_reason ?? finishReason;
  }
  return { text, finishReason, chunks };
}
