// The portkey-ai client's apiKeys.* against Portcullis: create (the key shown once, in the current format), list,
// retrieve and update (masked, with the allow-list extension fields), the new key serving a chat completion and
// refused a model outside its list, then delete.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Portkey } from 'portkey-ai';
import { ADMIN_KEY, API_URL, VIRTUAL_KEY } from './env.mjs';

const admin = new Portkey({ apiKey: ADMIN_KEY, baseURL: API_URL });

test('apiKeys create, list, retrieve, update and delete a key that is shown only once', async () => {
  const name = `portkey-api-key-${process.pid}-${Date.now()}`;

  // 1. Create: the whole key once, in the pcl_<public id>_<secret><checksum> format.
  const created = await admin.apiKeys.create({
    type: 'organisation',
    'sub-type': 'service',
    name,
    scopes: ['completions.write'],
    allowed_models: ['gpt-4o-mini'],
  });
  assert.ok(created.id, `create answered with an id: ${JSON.stringify(created)}`);
  assert.match(created.key, /^pcl_[0-9A-Za-z]{16}_[0-9A-Za-z]{38}$/);
  const secret = created.key.slice(21, 53);

  // 2. List and retrieve: masked, never the secret.
  const list = await admin.apiKeys.list({ page_size: 500 });
  const listed = list.data.find((key) => key.id === created.id);
  assert.ok(listed, `the list holds ${created.id}`);
  assert.equal(listed.name, name);
  assert.ok(!JSON.stringify(list).includes(secret), 'the list does not reveal the key');
  const retrieved = await admin.apiKeys.retrieve({ id: created.id });
  assert.equal(retrieved.object, 'api-key');
  assert.equal(retrieved.type, 'organisation-service');
  assert.deepEqual(retrieved.scopes, ['completions.write']);
  assert.deepEqual(retrieved.allowed_models, ['gpt-4o-mini']);
  assert.ok(!JSON.stringify(retrieved).includes(secret), 'retrieve does not reveal the key');

  // 3. The key serves a listed model and is refused another with 412 model_not_allowed_error.
  const client = new Portkey({ apiKey: created.key, virtualKey: VIRTUAL_KEY, baseURL: API_URL, maxRetries: 0 });
  const completion = await client.chat.completions.create({
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'hi' }],
  });
  assert.equal(completion.choices[0].message.role, 'assistant');
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    (error) => {
      assert.equal(error.status, 412);
      assert.match(String(error.message), /Model gpt-4o is not allowed for this API key/);
      return true;
    },
  );

  // 4. Update: a new name, the model list cleared.
  await admin.apiKeys.update({ id: created.id, name: `${name}-renamed`, allowed_models: null });
  const afterUpdate = await admin.apiKeys.retrieve({ id: created.id });
  assert.equal(afterUpdate.name, `${name}-renamed`);
  assert.equal(afterUpdate.allowed_models, null);

  // 5. Delete: afterwards the key is gone and refused.
  await admin.apiKeys.delete({ id: created.id });
  await assert.rejects(admin.apiKeys.retrieve({ id: created.id }), (error) => {
    assert.equal(error.status, 404);
    return true;
  });
  await assert.rejects(
    client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] }),
    (error) => {
      assert.equal(error.status, 401);
      return true;
    },
  );
});
