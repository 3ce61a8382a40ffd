// Anthropic's own npm client, @anthropic-ai/sdk, pointed at the gateway's /v1/messages: the gateway key goes as the
// SDK's apiKey (sent in x-api-key), the Anthropic virtual key in x-portkey-virtual-key or as "@slug/model".
// baseURL is the gateway's root without /v1: the SDK appends /v1/messages itself.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import Anthropic from '@anthropic-ai/sdk';
import { ANTHROPIC_VIRTUAL_KEY, BASE_URL, GATEWAY_KEY } from './env.mjs';

const anthropic = new Anthropic({
  apiKey: GATEWAY_KEY,
  baseURL: BASE_URL,
  defaultHeaders: { 'x-portkey-virtual-key': ANTHROPIC_VIRTUAL_KEY },
  maxRetries: 0,
});

const addNumbers = {
  name: 'add_numbers',
  description: 'Adds two numbers.',
  input_schema: {
    type: 'object',
    properties: { a: { type: 'number' }, b: { type: 'number' } },
    required: ['a', 'b'],
  },
};

test('messages.create returns a text block and counts the input tokens', async () => {
  const message = await anthropic.messages.create({
    model: 'claude-sonnet-4',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Is the gate open?' }],
  });

  assert.equal(message.type, 'message');
  assert.equal(message.role, 'assistant');
  assert.equal(message.content[0].type, 'text');
  assert.ok(message.content[0].text.length > 0, 'the text block has text');
  assert.ok(message.usage.input_tokens > 0, `usage counts input tokens: ${JSON.stringify(message.usage)}`);
  assert.ok(message.usage.output_tokens > 0, `usage counts output tokens: ${JSON.stringify(message.usage)}`);
});

test('messages.stream delivers every event through message_stop and a final message with text', async () => {
  const stream = anthropic.messages.stream({
    model: 'claude-sonnet-4',
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Raise the portcullis.' }],
  });

  const eventTypes = [];
  let streamedText = '';
  for await (const event of stream) {
    eventTypes.push(event.type);
    if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') {
      streamedText += event.delta.text;
    }
  }
  const message = await stream.finalMessage();

  assert.equal(eventTypes[0], 'message_start');
  assert.ok(eventTypes.includes('content_block_delta'), `text deltas arrived: ${eventTypes.join(', ')}`);
  assert.equal(eventTypes.at(-1), 'message_stop');
  assert.equal(message.content[0].type, 'text');
  assert.ok(streamedText.length > 0, 'the deltas carry text');
  assert.equal(message.content[0].text, streamedText);
  assert.ok(message.stop_reason, 'the final message has a stop reason');
  assert.ok(message.usage.output_tokens > 0, `usage counts output tokens: ${JSON.stringify(message.usage)}`);
});

test('a forced tool choice comes back as a tool_use block whose input is an object', async () => {
  const message = await anthropic.messages.create({
    model: 'claude-sonnet-4',
    max_tokens: 128,
    tools: [addNumbers],
    tool_choice: { type: 'tool', name: 'add_numbers' },
    messages: [{ role: 'user', content: 'What is 17 + 25?' }],
  });

  const toolUse = message.content.find((block) => block.type === 'tool_use');
  assert.ok(toolUse, `a tool_use block arrived: ${JSON.stringify(message.content)}`);
  assert.equal(toolUse.name, 'add_numbers');
  assert.ok(toolUse.id.length > 0, 'the tool_use block has an id');
  assert.equal(typeof toolUse.input, 'object');
  assert.ok(toolUse.input !== null && !Array.isArray(toolUse.input), `input is an object: ${JSON.stringify(toolUse.input)}`);
  assert.equal(message.stop_reason, 'tool_use');
});

test('a streamed forced tool choice is assembled by the SDK into a tool_use block with an object input', async () => {
  const stream = anthropic.messages.stream({
    model: 'claude-sonnet-4',
    max_tokens: 128,
    tools: [addNumbers],
    tool_choice: { type: 'tool', name: 'add_numbers' },
    messages: [{ role: 'user', content: 'What is 17 + 25?' }],
  });

  const message = await stream.finalMessage();

  const toolUse = message.content.find((block) => block.type === 'tool_use');
  assert.ok(toolUse, `a tool_use block arrived: ${JSON.stringify(message.content)}`);
  assert.equal(toolUse.name, 'add_numbers');
  assert.ok(toolUse.input !== null && typeof toolUse.input === 'object' && !Array.isArray(toolUse.input),
    `input is an object: ${JSON.stringify(toolUse.input)}`);
  assert.equal(message.stop_reason, 'tool_use');
});

test('the virtual key may instead be named in the model as @slug/model, with no Portkey header', async () => {
  const plain = new Anthropic({ apiKey: GATEWAY_KEY, baseURL: BASE_URL, maxRetries: 0 });

  const message = await plain.messages.create({
    model: `@${ANTHROPIC_VIRTUAL_KEY}/claude-sonnet-4`,
    max_tokens: 64,
    messages: [{ role: 'user', content: 'Who keeps the keys?' }],
  });

  assert.equal(message.content[0].type, 'text');
  assert.ok(message.content[0].text.length > 0, 'the text block has text');
});

test('an unknown gateway key makes the SDK throw an AuthenticationError (401)', async () => {
  const stranger = new Anthropic({
    apiKey: 'pcl-not-a-real-key',
    baseURL: BASE_URL,
    defaultHeaders: { 'x-portkey-virtual-key': ANTHROPIC_VIRTUAL_KEY },
    maxRetries: 0,
  });

  await assert.rejects(
    stranger.messages.create({
      model: 'claude-sonnet-4',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
    }),
    (error) => {
      assert.ok(error instanceof Anthropic.AuthenticationError, `an AuthenticationError: ${error}`);
      assert.equal(error.status, 401);
      return true;
    });
});
