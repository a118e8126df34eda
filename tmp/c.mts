import { largestNotificationBytes, maxChunkSize } from '/work/main/src/connector/batch.js';
console.log(largestNotificationBytes(), maxChunkSize());
