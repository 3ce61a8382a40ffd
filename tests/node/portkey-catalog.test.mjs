// The portkey-ai client's model catalog calls: integrations (with .models and .workspaces) and providers with an admin
// key, then a chat through the provider with a gateway key, by "@slug/model" and by the provider option.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Portkey } from 'portkey-ai';
import { ADMIN_KEY, API_URL, GATEWAY_KEY, MOCK_KEY } from './env.mjs';

const admin = new Portkey({ apiKey: ADMIN_KEY, baseURL: API_URL });

test('integrations, their models and workspaces, and providers work through portkey-ai without revealing the key', async () => {
  const suffix = `${process.pid}-${Date.now()}`;
  const slug = `node-integration-${suffix}`;

  // 1. Create, retrieve and list the integration: the key is only ever masked.
  const created = await admin.integrations.create({ name: 'node catalog', ai_provider_id: 'openai', key: MOCK_KEY, slug });
  assert.equal(created.slug, slug);
  const retrieved = await admin.integrations.retrieve({ slug });
  assert.equal(retrieved.object, 'integration');
  assert.equal(retrieved.ai_provider_id, 'openai');
  assert.ok(retrieved.masked_key, 'a masked key is shown');
  const list = await admin.integrations.list({ type: 'all' });
  assert.ok(list.data.some((i) => i.slug === slug), `the list holds ${slug}`);
  for (const answer of [created, retrieved, list]) {
    assert.ok(!JSON.stringify(answer).includes(MOCK_KEY), 'no answer reveals the provider key');
  }

  // 2. Update the description.
  await admin.integrations.update({ slug, description: 'from node' });
  assert.equal((await admin.integrations.retrieve({ slug })).description, 'from node');

  // 3. Models: only gpt-4o-mini, with a price; then read back.
  await admin.integrations.models.update({
    slug,
    allow_all_models: false,
    models: [{
      slug: 'gpt-4o-mini',
      enabled: true,
      pricing_config: { type: 'static', pay_as_you_go: { request_token: { price: 0.00001 }, response_token: { price: 0.00004 } } },
    }, { slug: 'o3-mini', enabled: true }],
  });
  const models = await admin.integrations.models.list({ slug });
  assert.deepEqual(models.models.map((m) => m.slug), ['gpt-4o-mini', 'o3-mini']);
  await admin.integrations.models.delete({ slug, slugs: 'o3-mini' });
  assert.deepEqual((await admin.integrations.models.list({ slug })).models.map((m) => m.slug), ['gpt-4o-mini']);

  // 4. Workspaces: grant the default workspace with a rate limit.
  await admin.integrations.workspaces.update({
    slug,
    workspaces: [{ id: 'default', enabled: true, rate_limits: [{ type: 'requests', unit: 'rpm', value: 100 }] }],
  });
  const workspaces = await admin.integrations.workspaces.list({ slug });
  assert.equal(workspaces.workspaces[0].id, 'default');
  assert.equal(workspaces.workspaces[0].enabled, true);
  // Granting made the workspace's default provider, named after the integration and the workspace.
  const defaultProvider = await admin.providers.retrieve({ slug: `${slug}-default` });
  assert.equal(defaultProvider.integration_id, slug);

  // 5. Providers: create, retrieve, list, update.
  const provider = await admin.providers.create({ name: 'node provider', integration_id: slug, slug: `node-provider-${suffix}` });
  assert.equal(provider.slug, `node-provider-${suffix}`);
  const shown = await admin.providers.retrieve({ slug: provider.slug });
  assert.equal(shown.object, 'provider');
  assert.equal(shown.integration_id, slug);
  assert.ok((await admin.providers.list()).data.some((p) => p.slug === provider.slug));
  await admin.providers.update({ slug: provider.slug, note: 'changed' });
  assert.equal((await admin.providers.retrieve({ slug: provider.slug })).note, 'changed');

  // 6. The data plane: "@slug/model" and the provider option reach it; a model off the list is 412.
  const client = new Portkey({ apiKey: GATEWAY_KEY, baseURL: API_URL });
  const byModel = await client.chat.completions.create({
    model: `@${provider.slug}/gpt-4o-mini`,
    messages: [{ role: 'user', content: 'hello' }],
  });
  assert.ok(byModel.choices[0].message.content.length > 0);
  const byOption = new Portkey({ apiKey: GATEWAY_KEY, baseURL: API_URL, provider: `@${provider.slug}` });
  const answered = await byOption.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
  assert.ok(answered.choices[0].message.content.length > 0);
  await assert.rejects(
    client.chat.completions.create({ model: `@${provider.slug}/gpt-4o`, messages: [{ role: 'user', content: 'hi' }] }),
    (error) => {
      assert.equal(error.status, 412);
      return true;
    });

  // 7. Delete: the providers, then the integration.
  await admin.providers.delete({ slug: provider.slug });
  await admin.providers.delete({ slug: defaultProvider.slug });
  await admin.integrations.delete({ slug });
  await assert.rejects(admin.integrations.retrieve({ slug }), (error) => {
    assert.equal(error.status, 404);
    return true;
  });
});

test('a workspace integration created through portkey-ai is usable as "@slug/model" at once, by its default provider', async () => {
  const suffix = `${process.pid}-${Date.now()}`;
  const slug = `node-ws-integration-${suffix}`;

  const created = await admin.integrations.create({
    name: 'node workspace catalog', ai_provider_id: 'openai', key: MOCK_KEY, slug, workspace_id: 'default',
    default_provider_slug: `node-default-${suffix}`,
  });
  assert.equal(created.default_provider_slug, `node-default-${suffix}`);

  const client = new Portkey({ apiKey: GATEWAY_KEY, baseURL: API_URL });
  const answer = await client.chat.completions.create({
    model: `@${created.default_provider_slug}/gpt-4o-mini`,
    messages: [{ role: 'user', content: 'hello' }],
  });
  assert.ok(answer.choices[0].message.content.length > 0);

  await admin.providers.delete({ slug: created.default_provider_slug });
  await admin.integrations.delete({ slug });
});
