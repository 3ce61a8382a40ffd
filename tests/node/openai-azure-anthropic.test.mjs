// The plain openai package against virtual keys for other providers: an azure-openai key (the model is a deployment
// alias, the gateway picks the deployment) and an anthropic key (the gateway translates OpenAI's chat format to the
// Messages API and back). The SDK sees OpenAI's format either way.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import {
  ANTHROPIC_VIRTUAL_KEY, API_URL, AZURE_ALIAS, AZURE_VIRTUAL_KEY, GATEWAY_KEY, collectChatStream,
} from './env.mjs';

const azure = new OpenAI({
  apiKey: GATEWAY_KEY,
  baseURL: API_URL,
  defaultHeaders: { 'x-portkey-virtual-key': AZURE_VIRTUAL_KEY },
  maxRetries: 0,
});

const openai = new OpenAI({ apiKey: GATEWAY_KEY, baseURL: API_URL, maxRetries: 0 });

test('azure: chat completion with a deployment alias as the model returns an assistant message', async () => {
  const completion = await azure.chat.completions.create({
    model: AZURE_ALIAS,
    messages: [{ role: 'user', content: 'Is the gate open?' }],
  });

  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.choices[0].message.role, 'assistant');
  assert.ok(completion.choices[0].message.content.length > 0, 'the answer has text');
  assert.equal(completion.choices[0].finish_reason, 'stop');
  assert.ok(completion.usage.prompt_tokens > 0, 'usage is passed through');
});

test('azure: streamed chat completion with a deployment alias delivers text and a finish reason', async () => {
  const stream = await azure.chat.completions.create({
    model: AZURE_ALIAS,
    messages: [{ role: 'user', content: 'Raise the portcullis.' }],
    stream: true,
  });

  const { text, finishReason, chunks } = await collectChatStream(stream);
  assert.ok(chunks > 1, `more than one chunk arrived (got ${chunks})`);
  assert.ok(text.length > 0, 'the deltas carry text');
  assert.equal(finishReason, 'stop');
});

test('azure: the alias may be named with the slug in the model as @slug/alias', async () => {
  const completion = await openai.chat.completions.create({
    model: `@${AZURE_VIRTUAL_KEY}/${AZURE_ALIAS}`,
    messages: [{ role: 'user', content: 'Who keeps the keys?' }],
  });

  assert.ok(completion.choices[0].message.content.length > 0, 'the answer has text');
});

test('anthropic: chat completion with model @slug/claude-sonnet-4 is translated and answered in OpenAI format', async () => {
  const completion = await openai.chat.completions.create({
    model: `@${ANTHROPIC_VIRTUAL_KEY}/claude-sonnet-4`,
    messages: [
      { role: 'system', content: 'Be brief.' },
      { role: 'user', content: 'Is the gate open?' },
    ],
  });

  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.choices.length, 1);
  assert.equal(completion.choices[0].message.role, 'assistant');
  assert.ok(completion.choices[0].message.content.length > 0, 'the answer has text');
  assert.equal(completion.choices[0].finish_reason, 'stop');
  assert.ok(completion.usage.prompt_tokens > 0 && completion.usage.completion_tokens > 0,
    `usage counts tokens: ${JSON.stringify(completion.usage)}`);
});

test('anthropic: streamed chat completion with model @slug/claude-sonnet-4 delivers text, a finish reason and usage', async () => {
  const stream = await openai.chat.completions.create({
    model: `@${ANTHROPIC_VIRTUAL_KEY}/claude-sonnet-4`,
    messages: [{ role: 'user', content: 'Raise the portcullis.' }],
    stream: true,
    stream_options: { include_usage: true },
  });

  let usage = null;
  const chunks = [];
  for await (const chunk of stream) {
    chunks.push(chunk);
    usage = chunk.usage ?? usage;
  }
  const { text, finishReason } = await collectChatStream(chunks);
  assert.ok(chunks.length > 1, `more than one chunk arrived (got ${chunks.length})`);
  assert.ok(text.length > 0, 'the deltas carry text');
  assert.equal(finishReason, 'stop');
  assert.ok(usage, 'the usage chunk the client asked for arrived');
  assert.ok(usage.prompt_tokens > 0 && usage.completion_tokens > 0, `usage counts tokens: ${JSON.stringify(usage)}`);
});
