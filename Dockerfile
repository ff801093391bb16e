# Build stage: compiles TypeScript and builds better-sqlite3 against Node's headers.
FROM node:20-bookworm AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm install --no-audit --no-fund
COPY . .
RUN npx tsc -p tsconfig.json && npm prune --omit=dev

# Runtime stage: only the compiled code and production modules, as an unprivileged user.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/jobs ./dist/jobs
COPY package.json config.example.yaml ./
RUN mkdir -p /data && chown 65532:65532 /data
USER 65532:65532
WORKDIR /data
ENTRYPOINT ["node", "/app/dist/src/cli/main.js"]
CMD ["images"]
