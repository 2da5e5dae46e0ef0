// Pixels for the scanner, shared by both pages: an image file drawn on a canvas, or the camera's
// frames. Decoding images is the browser's; finding the codes is the venuecode module's.

/** The RGBA pixels of an image file, or null if the browser cannot read it. */
export async function imagePixels(file, canvas) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  return { data: ctx.getImageData(0, 0, bitmap.width, bitmap.height).data, width: bitmap.width, height: bitmap.height };
}

/** Starts the back camera and calls `onFrame({data, width, height})` for each frame while
 *  `wanted()` says so. */
export async function cameraFrames(video, canvas, onFrame, wanted = () => true) {
  video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' } });
  video.hidden = false;
  await video.play();
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const tick = () => {
    if (video.videoWidth && wanted()) {
      canvas.width = video.videoWidth;
      canvas.height = video.videoHeight;
      ctx.drawImage(video, 0, 0);
      onFrame({ data: ctx.getImageData(0, 0, canvas.width, canvas.height).data, width: canvas.width, height: canvas.height });
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
