// esbuild extracts imported CSS into dist/webview/webview.css; TypeScript only needs to know the import is fine.
declare module '*.css';
