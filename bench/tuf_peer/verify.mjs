// The tuf-js peer of `update_bench verify` (bench/update_bench.sh): one cold update with the
// reference TUF client that npm and sigstore use.
//
//   node verify.mjs METADATA_DIR BASE_URL TARGET_NAME DEST_DIR
//
// METADATA_DIR holds only the trusted root (root.json, a copy of 1.root.json); BASE_URL serves
// make_repo.py's OUT (BASE_URL/metadata/, BASE_URL/targets/). Steps, each timed:
//   open      new Updater (reads and parses the trusted root.json)
//   refresh   root (2.root.json: 404), timestamp, snapshot, targets fetched, verified, persisted
//   find      getTargetInfo(TARGET_NAME)
//   download  downloadTarget: fetched to a temp file, length + every listed hash (sha256 and
//             sha512) checked by reading it back, copied to DEST_DIR/TARGET_NAME
// One JSON line on stdout: seconds per step, peak RSS in KiB: process.resourceUsage().maxRSS
// (getrusage ru_maxrss, the kernel's counter) and the largest process.memoryUsage().rss seen
// (sampled every 2 ms and at every step boundary).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Updater } from 'tuf-js';

const [metadataDir, baseUrl, targetName, destDir] = process.argv.slice(2);
if (!destDir) {
  console.error('usage: node verify.mjs METADATA_DIR BASE_URL TARGET_NAME DEST_DIR');
  process.exit(2);
}
const version = createRequire(import.meta.url)('tuf-js/package.json').version;

let rssMax = 0;
const sample = () => { rssMax = Math.max(rssMax, process.memoryUsage().rss); };
const timer = setInterval(sample, 2);
const now = () => Number(process.hrtime.bigint()) / 1e9;

const t0 = now();
const updater = new Updater({
  metadataDir,
  metadataBaseUrl: `${baseUrl}/metadata`,
  targetBaseUrl: `${baseUrl}/targets`,
  targetDir: destDir,
});
const t1 = now(); sample();
await updater.refresh();
const t2 = now(); sample();
const rssAfterRefresh = process.resourceUsage().maxRSS;
const info = await updater.getTargetInfo(targetName);
if (!info) {
  console.error(`verify.mjs: no target ${targetName}`);
  process.exit(1);
}
const t3 = now(); sample();
const dest = await updater.downloadTarget(info, path.join(destDir, targetName));
const t4 = now(); sample();
clearInterval(timer);

let metadataBytes = 0;
for (const role of ['timestamp', 'snapshot', 'targets']) {
  metadataBytes += fs.statSync(path.join(metadataDir, `${role}.json`)).size;
}
const targetBytes = fs.statSync(dest).size;
if (targetBytes !== info.length) {
  console.error(`verify.mjs: ${dest} is ${targetBytes} bytes, expected ${info.length}`);
  process.exit(1);
}
console.log(JSON.stringify({
  tuf_js: version,
  node: process.versions.node,
  openssl: process.versions.openssl,
  open_s: t1 - t0,
  refresh_s: t2 - t1,
  find_s: t3 - t2,
  download_s: t4 - t3,
  total_s: t4 - t0,
  maxrss_kib: process.resourceUsage().maxRSS,
  maxrss_after_refresh_kib: rssAfterRefresh,
  sampled_rss_max_kib: Math.round(rssMax / 1024),
  metadata_bytes_downloaded: metadataBytes,
  target_bytes: targetBytes,
  hashes: Object.keys(info.hashes),
}));
