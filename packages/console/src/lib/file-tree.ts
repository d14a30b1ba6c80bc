/** A folder or file of a version's tree. */
export interface FileTreeNode {
  name: string;
  /** The full path, for files and folders alike. */
  path: string;
  /** Folders first, then files, each by name. Empty for files. */
  children: FileTreeNode[];
  isFolder: boolean;
}

/** Builds the tree of a version's file paths (`a/b.ts`), folders before files. */
export function fileTree(paths: ReadonlyArray<string>): FileTreeNode[] {
  const root: FileTreeNode = { name: '', path: '', children: [], isFolder: true };
  for (const path of paths) {
    const parts = path.split('/').filter((part) => part.length > 0);
    let folder = root;
    parts.forEach((part, index) => {
      const isFolder = index < parts.length - 1;
      const childPath = parts.slice(0, index + 1).join('/');
      let child = folder.children.find((node) => node.name === part && node.isFolder === isFolder);
      if (!child) {
        child = { name: part, path: childPath, children: [], isFolder };
        folder.children.push(child);
      }
      folder = child;
    });
  }
  const sort = (nodes: FileTreeNode[]): FileTreeNode[] =>
    nodes
      .sort((a, b) => (a.isFolder === b.isFolder ? a.name.localeCompare(b.name) : a.isFolder ? -1 : 1))
      .map((node) => ({ ...node, children: sort(node.children) }));
  return sort(root.children);
}
