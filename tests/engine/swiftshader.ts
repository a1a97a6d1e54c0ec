/** Whether SwiftShader's Vulkan driver is installed where dawn.ts looks (Debian's chromium package). */
import { existsSync } from 'node:fs';

export const haveSwiftShader = [
  '/usr/lib/chromium',
  '/usr/lib64/chromium',
  '/usr/lib/chromium-browser',
].some((dir) => existsSync(`${dir}/vk_swiftshader_icd.json`));
