// The portkey-ai client: the control plane (virtualKeys.*) with an admin key, then the data plane with a gateway
// key and the virtual key it just created.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Portkey } from 'portkey-ai';
import { ADMIN_KEY, API_URL, GATEWAY_KEY, MOCK_KEY, collectChatStream } from './env.mjs';

const admin = new Portkey({ apiKey: ADMIN_KEY, baseURL: API_URL });

async function createVirtualKey(name) {
  const created = await admin.virtualKeys.create({
    name,
    provider: 'openai',
    key: MOCK_KEY,
    note: 'made by portkey-ai',
  });
  const slug = created.slug ?? created.data?.slug;
  assert.ok(slug, `create answered with a slug: ${JSON.stringify(created)}`);
  assert.ok(!JSON.stringify(created).includes(MOCK_KEY), 'create does not echo the provider key');
  return slug;
}

test('virtualKeys create, list, retrieve, update and delete a key without revealing its secret', async () => {
  const name = `portkey-node-${process.pid}-${Date.now()}`;

  // 1. Create.
  const slug = await createVirtualKey(name);

  // 2. List: the new key is there, masked.
  const list = await admin.virtualKeys.list();
  assert.equal(list.object, 'list');
  const listed = list.data.find((key) => key.slug === slug);
  assert.ok(listed, `the list holds ${slug}`);
  assert.equal(listed.name, name);
  assert.ok(!JSON.stringify(list).includes(MOCK_KEY), 'the list does not reveal the provider key');

  // 3. Retrieve: every field, the key masked.
  const retrieved = await admin.virtualKeys.retrieve({ slug });
  assert.equal(retrieved.slug, slug);
  assert.equal(retrieved.name, name);
  assert.equal(retrieved.note, 'made by portkey-ai');
  assert.equal(retrieved.ai_provider_name, 'openai');
  assert.equal(retrieved.object, 'virtual-key');
  assert.ok(retrieved.masked_api_key, 'a masked key is shown');
  assert.notEqual(retrieved.masked_api_key, MOCK_KEY);
  assert.ok(!JSON.stringify(retrieved).includes(MOCK_KEY), 'retrieve does not reveal the provider key');

  // 4. Update the note; the name stays.
  const updated = await admin.virtualKeys.update({ slug, note: 'changed' });
  assert.equal(updated.slug, slug);
  const afterUpdate = await admin.virtualKeys.retrieve({ slug });
  assert.equal(afterUpdate.note, 'changed');
  assert.equal(afterUpdate.name, name);

  // 5. Delete: afterwards the key is gone.
  await admin.virtualKeys.delete({ slug });
  await assert.rejects(admin.virtualKeys.retrieve({ slug }), (error) => {
    assert.equal(error.status, 404);
    return true;
  });
  const listAfterDelete = await admin.virtualKeys.list();
  assert.ok(!listAfterDelete.data.some((key) => key.slug === slug), 'the deleted key is no longer listed');
});

test('a key made by virtualKeys.create serves chat completions to a Portkey client with that virtualKey', async (t) => {
  const slug = await createVirtualKey(`portkey-chat-${process.pid}-${Date.now()}`);
  t.after(() => admin.virtualKeys.delete({ slug }));
  const portkey = new Portkey({ apiKey: GATEWAY_KEY, virtualKey: slug, baseURL: API_URL });

  await t.test('non-streaming', async () => {
    const completion = await portkey.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Knock knock.' }],
    });

    assert.equal(completion.choices[0].message.role, 'assistant');
    assert.ok(completion.choices[0].message.content.length > 0, 'the answer has text');
    assert.equal(completion.choices[0].finish_reason, 'stop');
  });

  await t.test('streaming', async () => {
    const stream = await portkey.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [{ role: 'user', content: 'Knock knock, slowly.' }],
      stream: true,
    });

    const { text, finishReason } = await collectChatStream(stream);
    assert.ok(text.length > 0, 'the deltas carry text');
    assert.equal(finishReason, 'stop');
  });
});

test('the admin API refuses a completions-only gateway key with 403', async () => {
  const notAdmin = new Portkey({ apiKey: GATEWAY_KEY, baseURL: API_URL });

  await assert.rejects(notAdmin.virtualKeys.list(), (error) => {
    assert.equal(error.status, 403);
    return true;
  });
});
