/** @type {import('next').NextConfig} */
const nextConfig = {
  // better-sqlite3 is external by default; tfjs stays in workers and is never bundled.
  serverExternalPackages: ['better-sqlite3'],
  poweredByHeader: false,
  typescript: { ignoreBuildErrors: false },
};

export default nextConfig;
