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

/**
 * A WHEP session on one of a hearing's cameras (`source` absent: the courtroom's own feed): the
 * offer, the answer and the connection, with as little buffering as the network allows (a clerk
 * cuts and masks by these pictures). `session.pc` is there from the first moment, so the caller
 * can tell whether it still wants it; `session.url` once the server answered (DELETE ends it).
 * Resolves once connected; rejects with why not (the connection closed), within 8 s.
 */
export async function whepSession(session, { hearingId, source, token }) {
  const pc = new RTCPeerConnection({ iceServers: [] });
  session.pc = pc;
  for (const kind of ['video', 'audio']) {
    const { receiver } = pc.addTransceiver(kind, { direction: 'recvonly' });
    if ('jitterBufferTarget' in receiver) receiver.jitterBufferTarget = 0;
  }
  session.stream = new MediaStream();
  pc.addEventListener('track', (e) => session.stream.addTrack(e.track));
  try {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const query = source ? `?source=${encodeURIComponent(source)}` : '';
    const res = await fetch(`/whep/${encodeURIComponent(hearingId)}${query}`, { method: 'POST', headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` }, body: pc.localDescription.sdp });
    if (res.status !== 201) throw new Error(`answered ${res.status}`);
    session.url = res.headers.get('location');
    await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not connected in 8 s (${pc.connectionState})`)), 8000);
      pc.addEventListener('connectionstatechange', () => {
        if (pc.connectionState === 'connected') { clearTimeout(timer); resolve(); }
        if (pc.connectionState === 'failed') { clearTimeout(timer); reject(new Error('connection failed')); }
      });
    });
  } catch (err) {
    endWhep(session, token);
    throw err;
  }
}

/** Ends a WHEP session: the server's side (DELETE) and ours. Safe to call twice. */
export function endWhep(session, token) {
  const { pc, url } = session;
  session.pc = session.url = null;
  if (url) void fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).catch(() => {});
  pc?.close();
}

/**
 * A WHEP session the caller keeps while it works: `failed(why, later)` is told once it fails,
 * whether it never connected (`later` false) or was lost afterwards (true). Resolves whether it
 * connected and is still `wanted()`; one no longer wanted is ended here.
 */
export async function keptWhep(session, target, { wanted, failed }) {
  try {
    await whepSession(session, target);
  } catch (err) {
    failed(err instanceof Error ? err.message : 'no answer', false);
    return false;
  }
  if (!wanted()) {
    endWhep(session, target.token);
    return false;
  }
  const { pc } = session;
  pc.addEventListener('connectionstatechange', () => {
    if (['failed', 'closed', 'disconnected'].includes(pc.connectionState)) failed(`connection ${pc.connectionState}`, true);
  });
  return true;
}
