// The heartbeats of a data-parallel rank (through distributed.h): a native thread that keeps this
// rank's key fresh in the c10d store whatever the JS thread does, the reads a failed collective uses to name the
// rank that died, and the watchdog that stops every rank when one stops answering (peerTimeoutSeconds).
#pragma once

#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <string>
#include <thread>

namespace tlearn::dist {

using ms = std::chrono::milliseconds;

inline std::string errorText(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const c10::Error& err) {
    return err.what_without_backtrace();
  } catch (const std::exception& err) {
    return err.what();
  } catch (...) {
    return "unknown error";
  }
}


// Heartbeats, so that a rank whose collective failed can say which rank died or stopped answering. Each rank
// has its own connection to the rendezvous store (apart from the group's, which c10d may hold in a long wait),
// on which a native thread sets tlearn/heartbeat/<rank> = "<unix ms> <collectives launched>" every second,
// whatever the JS thread is doing (a blocking wait inside a training step included). Leaving the group sets
// tlearn/left/<rank>. src/distributed/faults.ts reads them after a failure.
struct Watch {
  c10::intrusive_ptr<c10d::Store> store;
  std::string host;
  int port = 0, rank = 0;
  ms interval{1000};
  std::mutex storeLock;              // the beat thread and the JS thread share the connection
  std::atomic<int64_t> launched{0};  // collectives this rank has launched (the same sequence on every rank)
  std::mutex m;
  std::condition_variable cv;
  bool stopping = false;
  std::thread thread;

  static std::vector<uint8_t> bytes(const std::string& s) { return std::vector<uint8_t>(s.begin(), s.end()); }
  static int64_t nowMs() {
    return std::chrono::duration_cast<ms>(std::chrono::system_clock::now().time_since_epoch()).count();
  }
  std::string prefix;    // torchrun's /worker/attempt_N
  ms opTimeout{5000};    // connecting, and (libtorch 1.13) any answer of the store
  bool broken = true;    // connect at the first op
  void connect() {
    c10d::TCPStoreOptions o;
    o.port = static_cast<uint16_t>(port);
    o.isServer = false;
    o.waitWorkers = false;
    o.timeout = opTimeout;
    c10::intrusive_ptr<c10d::Store> s = c10::make_intrusive<c10d::TCPStore>(host, o);
    if (!prefix.empty()) s = c10::make_intrusive<c10d::PrefixStore>(prefix, s);
    // 1.13's TCPStore leaves a wait's timeout on its socket (SO_RCVTIMEO): every answer awaited after it, check's
    // included, is then bounded, so a frozen store server cannot hold this thread or the JS thread forever.
    std::string key = "tlearn/connected/" + std::to_string(rank);
    s->set(key, bytes("1"));
    s->wait({key}, opTimeout);
    store = s;
  }
  // Every store op holds the lock (the beat thread and the JS thread share the connection); after a failed one
  // the connection is dropped (a late answer would be read as the next op's) and the next op connects again.
  template <typename F>
  auto op(F&& f) -> decltype(f()) {
    std::lock_guard<std::mutex> l(storeLock);
    InFlight mark(opSince);
    try {
      if (broken) {
        store.reset();
        connect();
        broken = false;
      }
      return f();
    } catch (...) {
      broken = true;
      throw;
    }
  }
  void set(const std::string& key, const std::string& value) {
    op([&] { store->set(key, bytes(value)); });
  }
  // A key's value, or nullopt when it is absent (never waits for it).
  c10::optional<std::string> get(const std::string& key) {
    return op([&]() -> c10::optional<std::string> {
      if (!store->check({key})) return c10::nullopt;
      auto v = store->get(key);
      return std::string(v.begin(), v.end());
    });
  }
  // When the store op in flight began (steady ms; 0: none). libtorch 2's TCPStore awaits some answers (check's)
  // without a timeout, so a frozen store server would hold the op, and this rank, forever: the guard thread
  // below bounds it instead.
  std::atomic<int64_t> opSince{0};
  struct InFlight {
    std::atomic<int64_t>& since;
    explicit InFlight(std::atomic<int64_t>& s) : since(s) { since = steadyMs(); }
    ~InFlight() { since = 0; }
  };
  static int64_t steadyMs() {
    return std::chrono::duration_cast<ms>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  void beat() { set("tlearn/heartbeat/" + std::to_string(rank), std::to_string(nowMs()) + " " + std::to_string(launched.load())); }
  void start() {
    beat();
    thread = std::thread([this] {
      std::unique_lock<std::mutex> l(m);
      while (!cv.wait_for(l, interval, [this] { return stopping; })) {
        l.unlock();
        tick();
        l.lock();
      }
    });
    if (peerTimeout.count() > 0)
      guard = std::thread([this] {
        std::unique_lock<std::mutex> l(m);
        int64_t last = steadyMs(), resumed = 0;
        while (!cv.wait_for(l, interval, [this] { return guardStopping; })) {
          int64_t now = steadyMs(), since = opSince.load();
          if (now - last > 3 * interval.count()) resumed = now;  // this process was suspended itself, as in tick()
          last = now;
          if (since != 0 && now - std::max(since, resumed) > peerTimeout.count())
            stopProcess("the store at " + host + ":" + std::to_string(port) + " has not answered for " +
                        std::to_string((now - since) / 1000) + " s (an operation waits for its answer): " +
                        storeOwner + ", which serves it, has exited or stopped answering");
        }
      });
  }
  bool guardStopping = false;
  std::thread guard;

  // The bound on a rank that died or stopped answering, whatever this rank's JS thread is doing (blocked in a
  // collective that only notices at its own timeout: NCCL, a machine gone without closing its sockets). Each rank
  // watches the next one's heartbeat (O(world size) store traffic); the first to see it still for peerTimeout sets
  // tlearn/abort with the reason, and every rank that reads it prints it and exits (as NCCL's watchdog does).
  ms peerTimeout{0};  // 0: no watchdog
  int size = 1;
  std::string storeOwner = "rank 0";
  std::string lastSeen;
  std::chrono::steady_clock::time_point lastChange = std::chrono::steady_clock::now(), lastTick = lastChange,
                                        storeFailSince{};
  bool storeFailing = false;

  [[noreturn]] void stopProcess(const std::string& why) {
    std::fprintf(stderr, "rank %d of %d stops: %s\n", rank, size, why.c_str());
    std::fflush(stderr);
    std::_Exit(1);
  }
  static std::string secs(std::chrono::steady_clock::duration d) {
    return std::to_string(std::chrono::duration_cast<std::chrono::seconds>(d).count()) + " s";
  }
  void tick() {
    auto now = std::chrono::steady_clock::now();
    // This process was itself suspended (SIGSTOP, a laptop asleep): give the others time to beat again.
    if (now - lastTick > 3 * interval) lastChange = now;
    lastTick = now;
    try {
      beat();
      if (peerTimeout.count() > 0 && size > 1) watchNext(now);
      storeFailing = false;
    } catch (...) {
      // The store does not answer: its server (rank 0, or torchrun's agent) is gone, unless it comes back.
      if (!storeFailing) {
        storeFailing = true;
        storeFailSince = now;
      }
      if (peerTimeout.count() > 0 && now - storeFailSince > peerTimeout)
        stopProcess("the store at " + host + ":" + std::to_string(port) + " has not answered for " + secs(now - storeFailSince) +
                    " (" + errorText(std::current_exception()) + "): " + storeOwner + ", which serves it, has exited or stopped answering");
    }
  }
  void watchNext(std::chrono::steady_clock::time_point now) {
    if (auto abort = get("tlearn/abort")) stopProcess(*abort);
    int next = (rank + 1) % size;
    if (get("tlearn/left/" + std::to_string(next))) return;  // it left the group itself: the launcher's or the next collective's to tell
    std::string seen = get("tlearn/heartbeat/" + std::to_string(next)).value_or("");
    if (seen != lastSeen) {
      lastSeen = seen;
      lastChange = now;
    } else if (now - lastChange > peerTimeout) {
      std::string why = "rank " + std::to_string(next) + " stopped answering (no heartbeat for " + secs(now - lastChange) +
                        ", seen by rank " + std::to_string(rank) + "; the bound is peerTimeoutSeconds)";
      set("tlearn/abort", why);
      stopProcess(why);
    }
  }

  // Stops beating; `why` ("closed", "exited") is left for the others to read.
  void leave(const std::string& why) {
    {
      std::lock_guard<std::mutex> l(m);
      if (stopping) return;
      stopping = true;
    }
    cv.notify_all();
    if (thread.joinable()) thread.join();
    try {
      set("tlearn/left/" + std::to_string(rank), why + " " + std::to_string(nowMs()));
    } catch (...) {
    }
    {
      std::lock_guard<std::mutex> l(m);
      guardStopping = true;
    }
    cv.notify_all();
    if (guard.joinable()) guard.join();
  }
  ~Watch() { leave("closed"); }
};

}  // namespace tlearn::dist
