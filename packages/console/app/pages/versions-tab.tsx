import { useEffect, useState } from 'preact/hooks';
import { fileTree, type FileTreeNode } from '../../src/lib/file-tree';
import { sideBySideRows, unifiedRows } from '../../src/lib/patch-rows';
import type { FileDiff, Project, Version } from '../api-types';
import { Badge, ErrorBanner, formatTime, Loading } from '../components';
import { useAction, useApi, useLoad } from '../use-api';

/** The timeline, a version's files, a diff between any two versions, rollback and publish. */
export function VersionsTab({ project, onProjectChanged }: { project: Project; onProjectChanged: () => void }) {
  const api = useApi();
  const versions = useLoad((client) => client.request<{ items: Version[] }>('GET', `/v1/projects/${project.id}/versions?limit=200`), [project.id, project.currentVersionId, project.publishedVersionId]);
  const [toId, setToId] = useState<string | null>(null);
  const [fromId, setFromId] = useState<string>('parent');
  const action = useAction();
  const [notice, setNotice] = useState<string | null>(null);
  const items = versions.data?.items ?? [];
  const selected = items.find((version) => version.id === toId) ?? items[0] ?? null;

  useEffect(() => setFromId('parent'), [selected?.id]);

  const act = async (what: 'rollback' | 'publish', version: Version) => {
    setNotice(null);
    const done =
      what === 'rollback'
        ? await action.run(() => api.request<Version>('POST', `/v1/projects/${project.id}/rollback`, { targetVersionId: version.id, expectedCurrentVersionId: project.currentVersionId ?? undefined }))
        : await action.run(() => api.request('POST', `/v1/projects/${project.id}/publish`, { versionId: version.id }));
    if (done) {
      setNotice(what === 'rollback' ? `Rolled back: version ${(done as Version).number} has version ${version.number}’s files.` : `Published version ${version.number}.`);
      setToId(null);
      onProjectChanged();
    }
  };

  return (
    <div class="split">
      <div>
        <h2>Timeline</h2>
        <ErrorBanner error={versions.error} />
        <ErrorBanner error={action.error} />
        {notice ? <p role="status" class="notice">{notice}</p> : null}
        {versions.loading && !versions.data ? <Loading what="versions" /> : null}
        {versions.data && items.length === 0 ? <p class="muted">No versions yet: send the agent a message.</p> : null}
        <ol class="timeline" aria-label="Versions">
          {items.map((version) => (
            <li key={version.id} class={version.id === selected?.id ? 'selected' : ''}>
              <button type="button" class="link" aria-pressed={version.id === selected?.id} onClick={() => setToId(version.id)}>
                Version {version.number}
              </button>{' '}
              {version.id === project.currentVersionId ? <Badge value="current" /> : null}
              {version.id === project.publishedVersionId ? <Badge value="published" /> : null}
              <div class="muted">
                {version.message || '(no message)'} · source <Badge value={version.source} /> · validation <Badge value={version.validationStatus} /> · {formatTime(version.createdAt)}
              </div>
              <div class="row">
                {version.id !== project.currentVersionId ? (
                  <button type="button" class="secondary" disabled={action.busy} onClick={() => act('rollback', version)}>
                    Roll back to version {version.number}
                  </button>
                ) : null}
                {version.id !== project.publishedVersionId ? (
                  <button type="button" class="secondary" disabled={action.busy} onClick={() => act('publish', version)}>
                    Publish version {version.number}
                  </button>
                ) : null}
              </div>
            </li>
          ))}
        </ol>
      </div>
      {selected ? (
        <div>
          <VersionDiff version={selected} versions={items} fromId={fromId} onFromChange={setFromId} />
          <VersionFiles version={selected} />
        </div>
      ) : null}
    </div>
  );
}

function VersionDiff({ version, versions, fromId, onFromChange }: { version: Version; versions: Version[]; fromId: string; onFromChange: (id: string) => void }) {
  const [layout, setLayout] = useState<'unified' | 'split'>('unified');
  const query = fromId === 'parent' ? '' : `?from=${encodeURIComponent(fromId)}`;
  const diff = useLoad((client) => client.request<{ items: FileDiff[] }>('GET', `/v1/versions/${version.id}/diff${query}`), [version.id, query]);
  return (
    <section aria-label="Diff">
      <h2>Changes in version {version.number}</h2>
      <div class="row">
        <label for="diff-from">Compared with</label>
        <select id="diff-from" value={fromId} onChange={(event) => onFromChange(event.currentTarget.value)}>
          <option value="parent">its parent</option>
          <option value="empty">nothing (every file)</option>
          {versions
            .filter((other) => other.id !== version.id)
            .map((other) => (
              <option key={other.id} value={other.id}>
                version {other.number}
              </option>
            ))}
        </select>
        <fieldset class="toggle">
          <legend class="visually-hidden">Diff layout</legend>
          <label>
            <input type="radio" name="layout" checked={layout === 'unified'} onChange={() => setLayout('unified')} /> Unified
          </label>
          <label>
            <input type="radio" name="layout" checked={layout === 'split'} onChange={() => setLayout('split')} /> Side by side
          </label>
        </fieldset>
      </div>
      <ErrorBanner error={diff.error} />
      {diff.loading && !diff.data ? <Loading what="the diff" /> : null}
      {diff.data && diff.data.items.length === 0 ? <p class="muted">No changes.</p> : null}
      {diff.data?.items.map((file) => (
        <article key={file.path} class="diff-file">
          <h3>
            <Badge value={file.status} /> <code>{file.previousPath ? `${file.previousPath} → ${file.path}` : file.path}</code>{' '}
            <span class="add">+{file.additions}</span> <span class="del">−{file.deletions}</span>
          </h3>
          {file.binary ? <p class="muted">Binary file</p> : file.patch ? <Patch patch={file.patch} layout={layout} /> : null}
        </article>
      ))}
    </section>
  );
}

function Patch({ patch, layout }: { patch: string; layout: 'unified' | 'split' }) {
  if (layout === 'unified') {
    return (
      <table class="diff">
        <tbody>
          {unifiedRows(patch).map((row, index) =>
            row.kind === 'hunk' ? (
              <tr key={index} class="hunk"><td colSpan={3}>{row.text}</td></tr>
            ) : (
              <tr key={index} class={row.kind}>
                <td class="num">{row.oldNumber ?? ''}</td>
                <td class="num">{row.newNumber ?? ''}</td>
                <td><pre>{row.kind === 'add' ? '+' : row.kind === 'delete' ? '-' : ' '}{row.text}</pre></td>
              </tr>
            ),
          )}
        </tbody>
      </table>
    );
  }
  return (
    <table class="diff split-diff">
      <tbody>
        {sideBySideRows(patch).map((row, index) =>
          row.kind === 'hunk' ? (
            <tr key={index} class="hunk"><td colSpan={4}>{row.text}</td></tr>
          ) : (
            <tr key={index}>
              <td class="num">{row.left?.number ?? ''}</td>
              <td class={row.left?.kind ?? 'blank'}><pre>{row.left?.text ?? ''}</pre></td>
              <td class="num">{row.right?.number ?? ''}</td>
              <td class={row.right?.kind ?? 'blank'}><pre>{row.right?.text ?? ''}</pre></td>
            </tr>
          ),
        )}
      </tbody>
    </table>
  );
}

function VersionFiles({ version }: { version: Version }) {
  const files = useLoad((client) => client.request<{ items: Array<{ path: string; size: number }> }>('GET', `/v1/versions/${version.id}/files`), [version.id]);
  const [openPath, setOpenPath] = useState<string | null>(null);
  const content = useLoad(
    (client) => (openPath ? client.request<{ content: string; encoding: string }>('GET', `/v1/versions/${version.id}/files/${openPath.split('/').map(encodeURIComponent).join('/')}`) : Promise.resolve(null)),
    [version.id, openPath],
  );
  return (
    <section aria-label="Files">
      <h2>Files of version {version.number}</h2>
      <ErrorBanner error={files.error} />
      {files.data ? <Tree nodes={fileTree(files.data.items.map((file) => file.path))} onOpen={setOpenPath} /> : <Loading what="files" />}
      {openPath ? (
        <div>
          <h3><code>{openPath}</code></h3>
          <ErrorBanner error={content.error} />
          {content.data ? content.data.encoding === 'base64' ? <p class="muted">Binary file</p> : <pre class="file">{content.data.content}</pre> : null}
        </div>
      ) : null}
    </section>
  );
}

function Tree({ nodes, onOpen }: { nodes: FileTreeNode[]; onOpen: (path: string) => void }) {
  return (
    <ul class="tree">
      {nodes.map((node) =>
        node.isFolder ? (
          <li key={node.path}>
            <details open>
              <summary>{node.name}/</summary>
              <Tree nodes={node.children} onOpen={onOpen} />
            </details>
          </li>
        ) : (
          <li key={node.path}>
            <button type="button" class="link" onClick={() => onOpen(node.path)}>{node.name}</button>
          </li>
        ),
      )}
    </ul>
  );
}
