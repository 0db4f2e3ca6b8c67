// What the staff pages' WebRTC shares (the capture page sends over WHIP, the console receives
// over WHEP): both answer in one round trip, so every candidate goes in the offer.

/** Waits until a connection's candidates are gathered, or 2 s (then it offers what it has). */
export async function gathered(conn) {
  if (conn.iceGatheringState === 'complete') return;
  await new Promise((resolve) => {
    conn.addEventListener('icegatheringstatechange', () => conn.iceGatheringState === 'complete' && resolve());
    setTimeout(resolve, 2000);
  });
}
