// Portkey's Model Catalog pattern: the plain openai package with the gateway key as its apiKey and the virtual key
// named in the model as @slug/model. No Portkey headers at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import OpenAI from 'openai';
import { API_URL, GATEWAY_KEY, VIRTUAL_KEY, collectChatStream } from './env.mjs';

const openai = new OpenAI({ apiKey: GATEWAY_KEY, baseURL: API_URL, maxRetries: 0 });

test('chat completion with model @slug/gpt-4o-mini and only the gateway key as apiKey is answered', async () => {
  const completion = await openai.chat.completions.create({
    model: `@${VIRTUAL_KEY}/gpt-4o-mini`,
    messages: [{ role: 'user', content: 'Who keeps the keys?' }],
  });

  assert.equal(completion.choices[0].message.role, 'assistant');
  assert.ok(completion.choices[0].message.content.length > 0, 'the answer has text');
  assert.equal(completion.model, 'gpt-4o-mini', 'the upstream saw the bare model');
});

test('streamed chat completion with model @slug/gpt-4o-mini delivers text and a finish reason', async () => {
  const stream = await openai.chat.completions.create({
    model: `@${VIRTUAL_KEY}/gpt-4o-mini`,
    messages: [{ role: 'user', content: 'Stream it.' }],
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
  assert.ok(text.length > 0, 'the deltas carry text');
  assert.equal(finishReason, 'stop');
  assert.ok(usage, 'the usage chunk the client asked for arrived');
  assert.ok(usage.prompt_tokens > 0 && usage.completion_tokens > 0, `usage counts tokens: ${JSON.stringify(usage)}`);
});

test('an unknown virtual key in the model is refused with 400 naming the slug', async () => {
  const slug = `no-such-key-${process.pid}`;

  await assert.rejects(
    openai.chat.completions.create({
      model: `@${slug}/gpt-4o-mini`,
      messages: [{ role: 'user', content: 'hi' }],
    }),
    (error) => {
      assert.equal(error.status, 400);
      assert.match(error.message, new RegExp(slug));
      return true;
    });
});

test('an unknown gateway key is refused with 401', async () => {
  const stranger = new OpenAI({ apiKey: 'pcl-not-a-real-key', baseURL: API_URL, maxRetries: 0 });

  await assert.rejects(
    stranger.chat.completions.create({
      model: `@${VIRTUAL_KEY}/gpt-4o-mini`,
      messages: [{ role: 'user', content: 'hi' }],
    }),
    (error) => {
      assert.equal(error.status, 401);
      return true;
    });
});
