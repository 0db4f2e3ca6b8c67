// Generated from the staff API route table (server/http/api.ts) by scripts/console-client.ts.
// Do not edit: run `npx tsx scripts/console-client.ts` after changing a route.

/**
 * The staff API as functions, over `api(method, path, body)` (session.js), which signs and checks each call.
 * @param {(method: string, path: string, body?: unknown) => Promise<any>} api
 */
export const staffClient = (api) => ({
  /**
   * POST /api/auth/login: Sign in; returns a short-lived bearer token
   * @param {{ username: string, password: string }} body
   */
  login: (body) => api('POST', `/api/auth/login`, body),
  /**
   * GET /api/me: Who the token belongs to
   */
  me: () => api('GET', `/api/me`),
  /**
   * GET /api/users: List accounts, with any approver grant waiting for confirmation
   */
  listUsers: () => api('GET', `/api/users`),
  /**
   * POST /api/users: Create an account; approver rights asked for wait for a second admin’s or a supervisor’s confirmation; audited
   * @param {{ username: string, displayName?: string, password: string, roles: Array<"clerk" | "supervisor" | "archivist" | "admin" | "approver" | "captioner">, courtroomIds?: Array<string>, courtIds?: Array<string> }} body
   */
  createUser: (body) => api('POST', `/api/users`, body),
  /**
   * PATCH /api/users/:id: Change an account; approver rights it adds wait for a second admin’s or a supervisor’s confirmation; audited
   * @param {{ id: string }} p
   * @param {{ displayName?: string, password?: string, roles?: Array<"clerk" | "supervisor" | "archivist" | "admin" | "approver" | "captioner">, courtroomIds?: Array<string>, courtIds?: Array<string>, disabled?: boolean }} body
   */
  updateUser: (p, body) => api('PATCH', `/api/users/${encodeURIComponent(p.id)}`, body),
  /**
   * POST /api/users/:id/approver-grant: Confirm or refuse the approver rights an admin asked for (an admin or supervisor other than the one who asked and the account itself); audited
   * @param {{ id: string }} p
   * @param {{ outcome: "confirmed" | "refused" }} body
   */
  decideApproverGrant: (p, body) => api('POST', `/api/users/${encodeURIComponent(p.id)}/approver-grant`, body),
  /**
   * DELETE /api/users/:id: Delete an account; audited
   * @param {{ id: string }} p
   */
  deleteUser: (p) => api('DELETE', `/api/users/${encodeURIComponent(p.id)}`),
  /**
   * GET /api/staff/audit: The staff trail: every account change and approver grant, hash-chained
   */
  staffAudit: () => api('GET', `/api/staff/audit`),
  /**
   * GET /api/staff/audit/verify: Verify the staff trail’s hash chain; names the first bad entry
   */
  verifyStaffAudit: () => api('GET', `/api/staff/audit/verify`),
  /**
   * POST /api/courts: Create a court
   * @param {{ name: string, timezone?: string, timeOverlay?: boolean, language?: "en" | "zh-CN" | "bilingual", captions?: { languages: Array<"zh-CN" | "en">, hidden?: "marker" | "drop", voiceHidesText?: boolean } }} body
   */
  createCourt: (body) => api('POST', `/api/courts`, body),
  /**
   * PUT /api/courts/:courtId/captions: Set the court's captions (null: none) for hearings that go live from now on; one on the air keeps its own
   * @param {{ courtId: string }} p
   * @param {{ captions: { languages: Array<"zh-CN" | "en">, hidden?: "marker" | "drop", voiceHidesText?: boolean } | null }} body
   */
  setCourtCaptions: (p, body) => api('PUT', `/api/courts/${encodeURIComponent(p.courtId)}/captions`, body),
  /**
   * GET /api/courts: List courts
   */
  listCourts: () => api('GET', `/api/courts`),
  /**
   * POST /api/courts/:courtId/courtrooms: Create a courtroom (returns its stream key)
   * @param {{ courtId: string }} p
   * @param {{ name: string, ingest?: "rtmp" | "srt" | "rtsp", srtPort?: number, camera?: { url: string, transport?: "tcp" | "udp" } }} body
   */
  createCourtroom: (p, body) => api('POST', `/api/courts/${encodeURIComponent(p.courtId)}/courtrooms`, body),
  /**
   * GET /api/courtrooms/:id: A courtroom; its stream key only for admins
   * @param {{ id: string }} p
   */
  courtroom: (p) => api('GET', `/api/courtrooms/${encodeURIComponent(p.id)}`),
  /**
   * POST /api/courtrooms/:id/rotate-key: Rotate the stream key; the old key stops working at once
   * @param {{ id: string }} p
   */
  rotateKey: (p) => api('POST', `/api/courtrooms/${encodeURIComponent(p.id)}/rotate-key`),
  /**
   * PUT /api/courtrooms/:id/sources: Replace the courtroom's further cameras (returns the pushed ones' keys); a source removed or re-keyed is disconnected
   * @param {{ id: string }} p
   * @param {Array<{ name: string, label: string, ingest?: "rtmp" | "srt" | "rtsp", camera?: { url: string, transport?: "tcp" | "udp" }, srtPort?: number }>} body
   */
  setSources: (p, body) => api('PUT', `/api/courtrooms/${encodeURIComponent(p.id)}/sources`, body),
  /**
   * PUT /api/courtrooms/:id/program: Compose the courtroom's program from its cameras: a layout, the cameras in its tiles (`main` is its own feed) and the camera whose sound airs; null for its own feed alone. Hearings opened afterwards take it
   * @param {{ id: string }} p
   * @param {{ layout: "single" | "side-by-side" | "one-plus-three" | "quad" | "pip", cameras: Array<string>, sound?: string } | null} body
   */
  setProgram: (p, body) => api('PUT', `/api/courtrooms/${encodeURIComponent(p.id)}/program`, body),
  /**
   * POST /api/courtrooms/:id/sources/:name/rotate-key: Rotate a pushed source's key; the old key stops working at once
   * @param {{ id: string, name: string }} p
   */
  rotateSourceKey: (p) => api('POST', `/api/courtrooms/${encodeURIComponent(p.id)}/sources/${encodeURIComponent(p.name)}/rotate-key`),
  /**
   * PUT /api/courtrooms/:id/presets: Replace the courtroom mask presets
   * @param {{ id: string }} p
   * @param {Array<{ name: string, region: { x: number, y: number, w: number, h: number }, key?: string }>} body
   */
  setPresets: (p, body) => api('PUT', `/api/courtrooms/${encodeURIComponent(p.id)}/presets`, body),
  /**
   * POST /api/hearings: Schedule a hearing
   * @param {{ courtroomId: string, caseNumber: string, title: string, caseType: "civil" | "criminal" | "administrative" | "family" | "appeal" | "other", scheduledStart: string, delaySeconds?: number, isPublic: boolean, grounds?: Array<{ ground: "state-secret" | "trade-secret" | "personal-privacy" | "juvenile" | "other", text?: string }>, standingMasks?: Array<{ name: string, kind: "black" | "blur" | "pixelate" | "mute" | "voice", region?: { x: number, y: number, w: number, h: number }, pitch?: number, source?: string }> }} body
   */
  createHearing: (body) => api('POST', `/api/hearings`, body),
  /**
   * GET /api/hearings: List the hearings the account may read
   */
  listHearings: () => api('GET', `/api/hearings`),
  /**
   * GET /api/hearings/:id: A hearing, its live status and its published audit head
   * @param {{ id: string }} p
   */
  hearing: (p) => api('GET', `/api/hearings/${encodeURIComponent(p.id)}`),
  /**
   * PATCH /api/hearings/:id: Change a hearing’s details or privacy restrictions; a live broadcast whose approval the change lapses is withdrawn; audited
   * @param {{ id: string }} p
   * @param {{ caseNumber?: string, title?: string, caseType?: "civil" | "criminal" | "administrative" | "family" | "appeal" | "other", scheduledStart?: string, isPublic?: boolean, grounds?: Array<{ ground: "state-secret" | "trade-secret" | "personal-privacy" | "juvenile" | "other", text?: string }>, standingMasks?: Array<{ name: string, kind: "black" | "blur" | "pixelate" | "mute" | "voice", region?: { x: number, y: number, w: number, h: number }, pitch?: number, source?: string }> }} body
   */
  updateHearing: (p, body) => api('PATCH', `/api/hearings/${encodeURIComponent(p.id)}`, body),
  /**
   * GET /api/hearings/:id/governance: Application, decision, objections and confidentiality review, with what blocks the live broadcast and the replay
   * @param {{ id: string }} p
   */
  governance: (p) => api('GET', `/api/hearings/${encodeURIComponent(p.id)}/governance`),
  /**
   * POST /api/hearings/:id/applications: File the application to broadcast (live, replay or both) with grounds (clerk of the courtroom, supervisor, admin); audited
   * @param {{ id: string }} p
   * @param {{ scopes: Array<"live" | "replay">, grounds: string }} body
   */
  apply: (p, body) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/applications`, body),
  /**
   * POST /api/hearings/:id/applications/:applicationId/decision: Approve or refuse the pending application with a reason (approver of the court only; refused with NOT_APPROVED while the hearing is private, an objection is undecided or upheld, or a ground lacks standing masks); audited
   * @param {{ id: string, applicationId: string }} p
   * @param {{ outcome: "approved" | "refused", reason: string }} body
   */
  decide: (p, body) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/applications/${encodeURIComponent(p.applicationId)}/decision`, body),
  /**
   * POST /api/hearings/:id/approval/revoke: Revoke the approval in force (approver of the court); a live broadcast is cut at once and shows the no-broadcast card; audited
   * @param {{ id: string }} p
   * @param {{ reason: string }} body
   */
  revoke: (p, body) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/approval/revoke`, body),
  /**
   * POST /api/hearings/:id/objections: Record an objection by the prosecutor or a party; until ruled on, nothing is approved and a live broadcast is withdrawn; audited
   * @param {{ id: string }} p
   * @param {{ objector: "prosecutor" | "party", name: string, ground: string }} body
   */
  object: (p, body) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/objections`, body),
  /**
   * POST /api/hearings/:id/objections/:objectionId/ruling: Uphold (no broadcast) or dismiss an objection with reasons (approver of the court); audited
   * @param {{ id: string, objectionId: string }} p
   * @param {{ outcome: "upheld" | "dismissed", reason: string }} body
   */
  rule: (p, body) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/objections/${encodeURIComponent(p.objectionId)}/ruling`, body),
  /**
   * POST /api/hearings/:id/reviews: Sign off the confidentiality review (every checklist answer yes; supervisor or approver of the court): the hearing’s public page, and its replay, need one given on the hearing as it stands; audited
   * @param {{ id: string }} p
   * @param {{ checklist: { personalData: boolean, minors: boolean, masks: boolean }, note?: string }} body
   */
  review: (p, body) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/reviews`, body),
  /**
   * POST /api/hearings/:id/replay: Publish or withhold (with a reason) an ended hearing’s replay; audited
   * @param {{ id: string }} p
   * @param {{ decision: "published" | "withheld", reason?: string }} body
   */
  decideReplay: (p, body) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/replay`, body),
  /**
   * GET /api/hearings/:id/replay: The replay decision of an ended hearing
   * @param {{ id: string }} p
   */
  replay: (p) => api('GET', `/api/hearings/${encodeURIComponent(p.id)}/replay`),
  /**
   * POST /api/hearings/:id/broadcast/:command: open | start | pause | resume | cut | end
   * @param {{ id: string, command: "open" | "start" | "pause" | "resume" | "cut" | "end" }} p
   * @param {{ reason?: string }} body
   */
  command: (p, body) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/broadcast/${encodeURIComponent(p.command)}`, body),
  /**
   * GET /api/hearings/:id/preview/index.m3u8: Undelayed preview for clerks of the courtroom (not public)
   * @param {{ id: string }} p
   */
  previewPlaylist: (p) => api('GET', `/api/hearings/${encodeURIComponent(p.id)}/preview/index.m3u8`),
  /**
   * GET /api/hearings/:id/preview/:run/:file: A segment of the undelayed preview (clerks of the courtroom; not public)
   * @param {{ id: string, run: string, file: string }} p
   */
  previewSegment: (p) => api('GET', `/api/hearings/${encodeURIComponent(p.id)}/preview/${encodeURIComponent(p.run)}/${encodeURIComponent(p.file)}`),
  /**
   * POST /api/hearings/:id/masks: Add a privacy mask: live from now, or retroactive with a start in the past; answers with the part already public
   * @param {{ id: string }} p
   * @param {{ kind: "black" | "blur" | "pixelate" | "mute" | "voice" | "card", region?: { x: number, y: number, w: number, h: number }, pitch?: number, start?: string, end?: string | null, source?: string, preset?: string, reason?: string }} body
   */
  addMask: (p, body) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/masks`, body),
  /**
   * POST /api/hearings/:id/captions: Send a caption cue (or correct one by its id while it is not yet released): it airs with the media captured over its span, as the program lets that span air
   * @param {{ id: string }} p
   * @param {{ id: string, lang: "zh-CN" | "en", text: string, speaker?: "presiding-judge" | "judge" | "juror" | "clerk" | "prosecutor" | "plaintiff" | "defendant" | "counsel" | "witness" | "expert" | "interpreter" | "other", start?: string, end?: string, durationMs?: number }} body
   */
  sendCue: (p, body) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/captions`, body),
  /**
   * POST /api/hearings/:id/masks/:maskId/lift: Lift an open mask from now
   * @param {{ id: string, maskId: string }} p
   */
  liftMask: (p) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/masks/${encodeURIComponent(p.maskId)}/lift`),
  /**
   * POST /api/hearings/:id/program/switch: Switch a composed program to another layout or other cameras, from the frame captured now
   * @param {{ id: string }} p
   * @param {{ layout: "single" | "side-by-side" | "one-plus-three" | "quad" | "pip", cameras: Array<string>, reason?: string }} body
   */
  switchProgram: (p, body) => api('POST', `/api/hearings/${encodeURIComponent(p.id)}/program/switch`, body),
  /**
   * GET /api/hearings/:id/audit: The hearing audit trail (supervisor, archivist, admin)
   * @param {{ id: string }} p
   */
  audit: (p) => api('GET', `/api/hearings/${encodeURIComponent(p.id)}/audit`),
  /**
   * GET /api/hearings/:id/audit/verify: Verify the hash chain; names the first bad entry
   * @param {{ id: string }} p
   */
  verifyAudit: (p) => api('GET', `/api/hearings/${encodeURIComponent(p.id)}/audit/verify`),
});
