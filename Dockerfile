# Build stage: compile TypeScript with the dev dependencies, and the native
# accept addon (connections during busy scripts) with a C toolchain.
FROM node:20-bookworm-slim AS build
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends python3 make g++ >/dev/null && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json tsconfig.json binding.gyp ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY native ./native
COPY scripts ./scripts
RUN npm run install && test -f build/Release/busy_accept.node
COPY src ./src
RUN npx tsc -p tsconfig.json

# Final stage: runtime dependencies and the compiled code only.
FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=build /app/build/Release/busy_accept.node ./build/Release/busy_accept.node
RUN mkdir -p /data && chown node:node /data
USER node
WORKDIR /data
VOLUME /data
EXPOSE 6379
# Inside a container the server must listen on every interface; protected mode
# still refuses non-loopback clients until a password is set or it is turned off.
ENTRYPOINT ["node", "--max-semi-space-size=4", "/app/dist/main.js"]
CMD ["--bind", "0.0.0.0", "-::", "--dir", "/data"]
