# Courtcast: one node. FFmpeg from Debian (libx264, AAC, libsrt, drawtext); fonts for slates and
# the time overlay, with a Chinese face for the slates of courts that speak it. The TypeScript runs through tsx, as in development: there is no build step.
FROM node:22-bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ffmpeg fontconfig fonts-dejavu-core fonts-wqy-microhei tini \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /opt/courtcast
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts=false && npm cache clean --force
COPY config ./config
COPY server ./server
COPY recorder ./recorder
COPY player ./player
COPY console ./console
COPY scripts ./scripts
ENV NODE_ENV=production \
    COURTCAST_DATA_DIR=/var/lib/courtcast \
    COURTCAST_HTTP_HOST=0.0.0.0 \
    COURTCAST_HTTP_PORT=8080 \
    COURTCAST_RTMP_PORT=1935
RUN mkdir -p /var/lib/courtcast && chown node:node /var/lib/courtcast
USER node
VOLUME ["/var/lib/courtcast"]
EXPOSE 8080 1935
# tini reaps FFmpeg children and passes SIGTERM on, so a stop closes hearings cleanly.
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--import", "tsx", "server/main.ts"]
