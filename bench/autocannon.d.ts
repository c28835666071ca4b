// The part of autocannon's API that bench/serve.ts uses (the package ships no type declarations).
declare module 'autocannon' {
  namespace autocannon {
    interface Request {
      method?: string; path?: string; headers?: Record<string, string>; body?: string | Buffer;
      setupRequest?: (req: Request) => Request;
    }
    interface Options {
      url: string; connections?: number; duration?: number; amount?: number; timeout?: number; requests?: Request[];
    }
    interface Histogram { p50: number; p99: number; average: number }
    interface Result {
      duration: number; errors: number; timeouts: number; non2xx: number; latency: Histogram; requests: Histogram;
      statusCodeStats?: Record<string, { count: number }>;
    }
  }
  function autocannon(opts: autocannon.Options): Promise<autocannon.Result>;
  export default autocannon;
}
