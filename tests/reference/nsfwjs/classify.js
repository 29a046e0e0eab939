// The reference: nsfwjs's own model in TensorFlow.js (CPU backend) on PNG files, printing one JSON line per file:
// {"file": ..., "probabilities": [Drawing, Hentai, Neutral, Porn, Sexy]} as NSFWJS.infer returns them.
// Usage: node classify.js A.png B.png ...
'use strict';
const fs = require('fs');
const tf = require('@tensorflow/tfjs');
const nsfwjs = require('nsfwjs');
const { PNG } = require('pngjs');

async function main() {
  await tf.setBackend('cpu');
  const model = await nsfwjs.load('MobileNetV2');
  for (const file of process.argv.slice(2)) {
    const png = PNG.sync.read(fs.readFileSync(file));
    const rgb = new Int32Array(png.width * png.height * 3);
    for (let i = 0; i < png.width * png.height; ++i) {
      rgb[3 * i] = png.data[4 * i];
      rgb[3 * i + 1] = png.data[4 * i + 1];
      rgb[3 * i + 2] = png.data[4 * i + 2];
    }
    const image = tf.tensor3d(rgb, [png.height, png.width, 3], 'int32');
    const output = model.infer(image);
    console.log(JSON.stringify({ file, probabilities: Array.from(output.dataSync()) }));
    image.dispose();
    output.dispose();
  }
}
main().catch((error) => { console.error(error); process.exit(1); });
