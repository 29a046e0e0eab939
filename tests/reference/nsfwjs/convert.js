// Converts nsfwjs's MobileNetV2 (a Keras layers model whose uint8-quantised weights ship inside the npm package as
// JavaScript) into one safetensors file Storybrush reads: every weight as its uint8 tensor, with the topology and
// each weight's dequantisation (value = min + scale * q, as TensorFlow.js computes it) in the metadata.
// Usage: node convert.js OUT.safetensors   (after `npm ci` here)
'use strict';
const fs = require('fs');
const path = require('path');

// The package's exports hide its files from require.resolve: find them from here.
const packageDir = path.join(__dirname, 'node_modules', 'nsfwjs');
const modelDir = path.join(packageDir, 'dist/models/mobilenet_v2');
const model = require(path.join(modelDir, 'model.min.js'));
const shard = Buffer.from(require(path.join(modelDir, 'group1-shard1of1.min.js')), 'base64');
const version = JSON.parse(fs.readFileSync(path.join(packageDir, 'package.json'), 'utf8')).version;

const header = {};
const quantization = {};
const chunks = [];
let offset = 0;
for (const group of model.weightsManifest) {
  if (group.paths.length !== 1) throw new Error('expected one weight shard');
  for (const weight of group.weights) {
    const q = weight.quantization;
    if (!q || q.dtype !== 'uint8' || weight.dtype !== 'float32') throw new Error('unexpected weight ' + weight.name);
    const count = weight.shape.reduce((a, b) => a * b, 1);
    const bytes = shard.subarray(offset, offset + count);
    if (bytes.length !== count) throw new Error('shard too short at ' + weight.name);
    header[weight.name] = { dtype: 'U8', shape: weight.shape, data_offsets: [offset, offset + count] };
    quantization[weight.name] = [q.min, q.scale];
    chunks.push(bytes);
    offset += count;
  }
}
if (offset !== shard.length) throw new Error('unused bytes in the shard: ' + (shard.length - offset));
header.__metadata__ = {
  source: 'nsfwjs ' + version + ' (MIT), dist/models/mobilenet_v2, converted by tests/reference/nsfwjs/convert.js',
  classes: JSON.stringify(['Drawing', 'Hentai', 'Neutral', 'Porn', 'Sexy']),
  input: '224x224 RGB in [0, 1] (pixel / 255), bilinear resize with aligned corners',
  quantization: JSON.stringify(quantization),
  topology: JSON.stringify(model.modelTopology.model_config),
};
let json = Buffer.from(JSON.stringify(header), 'utf8');
const pad = (8 - (json.length % 8)) % 8;
json = Buffer.concat([json, Buffer.alloc(pad, 0x20)]);
const size = Buffer.alloc(8);
size.writeBigUInt64LE(BigInt(json.length));
fs.writeFileSync(process.argv[2], Buffer.concat([size, json, ...chunks]));
console.log('wrote', process.argv[2], Object.keys(quantization).length, 'weights,', offset, 'bytes');
