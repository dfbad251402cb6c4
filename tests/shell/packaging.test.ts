// The packaged app's Electron fuses, read the way `npm run dist` reads them: electron-builder's own
// config loader and schema on electron-builder.yml, its own fuse mapping, and @electron/fuses
// flipping the fuse wire of a stand-in binary (the Electron runtime cannot be downloaded here).
import fs from 'node:fs';
import path from 'node:path';
import { FuseV1Options, flipFuses, getCurrentFuseWire } from '@electron/fuses';
import { FuseState } from '@electron/fuses/dist/constants';
import { PlatformPackager, type Configuration } from 'app-builder-lib';
import { getConfig, validateConfiguration } from 'app-builder-lib/out/util/config/config';
import { describe, expect, it } from 'vitest';
import { tempDir } from './temp';

const root = path.resolve(__dirname, '..', '..');
const quietLogger = { isEnabled: false, add: () => undefined } as unknown as Parameters<
  typeof validateConfiguration
>[1];

async function builderConfig(): Promise<Configuration> {
  return getConfig(root, path.join(root, 'electron-builder.yml'), null);
}

/** Bytes laid out as in an Electron binary: the fuse sentinel, wire version 1, length, one byte per fuse. */
function standInBinary(defaults: number[]): string {
  const file = path.join(tempDir(), 'sightline');
  const sentinel = Buffer.from('dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX', 'ascii');
  fs.writeFileSync(
    file,
    Buffer.concat([Buffer.alloc(64, 7), sentinel, Buffer.from([1, defaults.length, ...defaults]), Buffer.alloc(64, 7)]),
  );
  return file;
}

describe('packaging config (electron-builder.yml)', () => {
  it("passes electron-builder's own schema (a misspelt fuse name would not)", async () => {
    const config = await builderConfig();
    await expect(validateConfiguration(config, quietLogger)).resolves.toBeUndefined();
    await expect(
      validateConfiguration({ ...config, electronFuses: { runAsnode: false } } as never, quietLogger),
    ).rejects.toThrow(/electronFuses/);
  });

  it('turns off running as Node, NODE_OPTIONS, --inspect and file:// privileges; turns on asar integrity and asar-only loading', async () => {
    const { electronFuses } = await builderConfig();
    expect(electronFuses).toEqual({
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('keeps the app in an asar with its integrity hash, which asar-only loading and validation need', async () => {
    const config = await builderConfig();
    // asar defaults to true; false would leave OnlyLoadAppFromAsar nothing to load, and without the
    // embedded hash (disableAsarIntegrity) the integrity fuse would have nothing to check against.
    expect(config.asar ?? true).not.toBe(false);
    expect(config.disableAsarIntegrity ?? false).toBe(false);
  });

  it('flips those fuses in the binary, through the same mapping electron-builder uses before signing', async () => {
    const { electronFuses } = await builderConfig();
    // Electron ships with every fuse but cookie encryption and asar flags in its permissive state.
    const shipped = [
      FuseState.ENABLE,
      FuseState.DISABLE,
      FuseState.ENABLE,
      FuseState.ENABLE,
      FuseState.DISABLE,
      FuseState.DISABLE,
      FuseState.DISABLE,
      FuseState.ENABLE,
    ];
    const binary = standInBinary(shipped);
    const generateFuseConfig = (
      PlatformPackager.prototype as unknown as {
        generateFuseConfig(fuses: unknown): Promise<Parameters<typeof flipFuses>[1]>;
      }
    ).generateFuseConfig;
    await flipFuses(binary, await generateFuseConfig.call(null, electronFuses));
    const wire = (await getCurrentFuseWire(binary)) as unknown as Record<number, number>;
    expect(wire[FuseV1Options.RunAsNode]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(FuseState.DISABLE);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(FuseState.ENABLE);
    expect(wire[FuseV1Options.GrantFileProtocolExtraPrivileges]).toBe(FuseState.DISABLE);
  });
});
