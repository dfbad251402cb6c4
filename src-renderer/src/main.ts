import { mount } from 'svelte';
import type { SightlineBridge } from '../../src-main/contract/bridge';
import App from './app.svelte';
import { createClient, setClient } from './lib/client';
import { roleForPath, takeToken } from './lib/token';
import './styles.css';

declare global {
  interface Window {
    /** The Electron preload's one frozen object; absent in a browser. */
    sightline?: SightlineBridge;
  }
}

const role = roleForPath(location.pathname);
const token = takeToken(role, { location, storage: sessionStorage, history });
setClient(createClient({ role, token, bridge: window.sightline }));

const target = document.getElementById('app');
if (!target) throw new Error('index.html lacks #app');
mount(App, { target, props: { role, hasToken: Boolean(token) || Boolean(window.sightline) } });
