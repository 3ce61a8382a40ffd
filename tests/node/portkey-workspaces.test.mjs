// The portkey-ai client's admin.workspaces calls against Portcullis: create, list, retrieve, update and delete, with
// the organisation admin key; a workspace key made for the new workspace then sees only that workspace.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Portkey } from 'portkey-ai';
import { ADMIN_KEY, API_URL } from './env.mjs';

const admin = new Portkey({ apiKey: ADMIN_KEY, baseURL: API_URL });

// The SDK throws an APIError that carries the HTTP status.
const status = (expected) => (error) => {
  assert.equal(error.status, expected, String(error));
  return true;
};

test('admin.workspaces create, list, retrieve, update and delete a workspace', async () => {
  const name = `portkey-node-ws-${process.pid}-${Date.now()}`;

  // 1. Create, with Portkey's fields.
  const created = await admin.admin.workspaces.create({
    name,
    description: 'made by portkey-ai',
    defaults: { metadata: { team: 'node' } },
    usage_limits: [{ type: 'tokens', credit_limit: 5000 }],
  });
  const workspaceId = created.id;
  assert.ok(workspaceId?.startsWith('ws-'), `create answered with an id: ${JSON.stringify(created)}`);
  assert.equal(created.object, 'workspace');

  // 2. List, filtered by name, and the default workspace is there too.
  const byName = await admin.admin.workspaces.list({ name });
  assert.deepEqual(byName.data.map((w) => w.id), [workspaceId]);
  const all = await admin.admin.workspaces.list({ page_size: 500 });
  assert.ok(all.data.some((w) => w.id === 'default'), 'the default workspace is listed');

  // 3. Retrieve.
  const retrieved = await admin.admin.workspaces.retrieve({ workspaceId });
  assert.equal(retrieved.name, name);
  assert.equal(retrieved.defaults.metadata.team, 'node');
  assert.equal(retrieved.usage_limits.credit_limit, 5000);

  // 4. Update: the SDK moves workspaceId into the path.
  const updated = await admin.admin.workspaces.update({ workspaceId, description: 'changed by portkey-ai' });
  assert.equal(updated.description, 'changed by portkey-ai');
  assert.equal(updated.name, name);

  // 5. A workspace key of the new workspace lists only it.
  const apiKey = await admin.apiKeys.create({
    type: 'workspace',
    'sub-type': 'service',
    name: 'node workspace key',
    workspace_id: workspaceId,
    scopes: ['workspaces.list', 'workspaces.read'],
  });
  const member = new Portkey({ apiKey: apiKey.key, baseURL: API_URL });
  const seen = await member.admin.workspaces.list();
  assert.deepEqual(seen.data.map((w) => w.id), [workspaceId]);
  await assert.rejects(() => member.admin.workspaces.retrieve({ workspaceId: 'default' }), status(404));

  // 6. Delete: refused while the key is in it; the key goes first, then the workspace.
  await assert.rejects(() => admin.admin.workspaces.delete({ workspaceId }), status(409));
  await admin.apiKeys.delete({ id: apiKey.id });
  await admin.admin.workspaces.delete({ workspaceId });
  await assert.rejects(() => admin.admin.workspaces.retrieve({ workspaceId }), status(404));
});
