// A single-page app: everything renders in the browser from the static index.html the server falls back to.
export const ssr = false;
export const prerender = false;
export const trailingSlash = 'never';
