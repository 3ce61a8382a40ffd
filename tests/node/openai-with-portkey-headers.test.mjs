// Portkey's documented pattern for the plain openai package: the gateway key and the virtual key travel in
// x-portkey-* headers built by createHeaders, and the openai apiKey is a placeholder.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { createHeaders } from 'portkey-ai';
import { API_URL, GATEWAY_KEY, VIRTUAL_KEY, collectChatStream } from './env.mjs';

const openai = new OpenAI({
  apiKey: 'placeholder-not-a-provider-key',
  baseURL: API_URL,
  defaultHeaders: createHeaders({ apiKey: GATEWAY_KEY, virtualKey: VIRTUAL_KEY }),
  maxRetries: 0,
});

test('chat completion through a virtual key named in x-portkey-virtual-key returns an assistant message', async () => {
  const completion = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Is the gate open?' }],
  });

  assert.equal(completion.object, 'chat.completion');
  assert.equal(completion.choices.length, 1);
  assert.equal(completion.choices[0].message.role, 'assistant');
  assert.ok(completion.choices[0].message.content.length > 0, 'the answer has text');
  assert.equal(completion.choices[0].finish_reason, 'stop');
  assert.ok(completion.usage.completion_tokens > 0, 'usage is passed through');
});

test('streamed chat completion delivers text deltas and a finish reason', async () => {
  const stream = await openai.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Raise the portcullis.' }],
    stream: true,
  });

  const { text, finishReason, chunks } = await collectChatStream(stream);
  assert.ok(chunks > 1, `more than one chunk arrived (got ${chunks})`);
  assert.ok(text.length > 0, 'the deltas carry text');
  assert.equal(finishReason, 'stop');
});

test('streamed text equals the non-streamed answer to the same request', async () => {
  const request = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'Same question twice.' }] };

  const whole = await openai.chat.completions.create(request);
  const streamed = await collectChatStream(await openai.chat.completions.create({ ...request, stream: true }));

  assert.equal(streamed.text, whole.choices[0].message.content);
});

test('embeddings through the virtual key return one vector per input', async () => {
  const response = await openai.embeddings.create({
    model: 'text-embedding-3-small',
    input: ['drawbridge', 'moat'],
    dimensions: 16,
  });

  assert.equal(response.object, 'list');
  assert.equal(response.data.length, 2);
  for (const [index, item] of response.data.entries()) {
    assert.equal(item.index, index);
    assert.equal(item.embedding.length, 16);
    assert.ok(item.embedding.every(Number.isFinite), 'every component is a number');
  }
});
