#include "agent/nftables.h"

#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>

#include "agent/netns.h"
#include "agent/process.h"

namespace csim::agent {
namespace {

struct nft_ctx;

// The few libnftables entry points csim uses (stable ABI of libnftables.so.1).
struct LibNftables {
  void* handle = nullptr;
  nft_ctx* (*ctx_new)(uint32_t) = nullptr;
  void (*ctx_free)(nft_ctx*) = nullptr;
  int (*buffer_output)(nft_ctx*) = nullptr;
  int (*buffer_error)(nft_ctx*) = nullptr;
  const char* (*get_error_buffer)(nft_ctx*) = nullptr;
  int (*run_cmd_from_buffer)(nft_ctx*, const char*) = nullptr;
  bool ok() const { return handle != nullptr; }
};

std::mutex g_lib_mu;  // libnftables keeps global state: one call at a time
std::atomic<bool> g_force_process{false};

LibNftables& lib() {
  static LibNftables l = [] {
    LibNftables x;
    void* h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) return x;
    x.ctx_new = reinterpret_cast<nft_ctx* (*)(uint32_t)>(dlsym(h, "nft_ctx_new"));
    x.ctx_free = reinterpret_cast<void (*)(nft_ctx*)>(dlsym(h, "nft_ctx_free"));
    x.buffer_output = reinterpret_cast<int (*)(nft_ctx*)>(dlsym(h, "nft_ctx_buffer_output"));
    x.buffer_error = reinterpret_cast<int (*)(nft_ctx*)>(dlsym(h, "nft_ctx_buffer_error"));
    x.get_error_buffer =
        reinterpret_cast<const char* (*)(nft_ctx*)>(dlsym(h, "nft_ctx_get_error_buffer"));
    x.run_cmd_from_buffer =
        reinterpret_cast<int (*)(nft_ctx*, const char*)>(dlsym(h, "nft_run_cmd_from_buffer"));
    if (x.ctx_new && x.ctx_free && x.buffer_output && x.buffer_error && x.get_error_buffer &&
        x.run_cmd_from_buffer) {
      x.handle = h;
    } else {
      dlclose(h);
    }
    return x;
  }();
  return l;
}

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

core::Status apply_with_library(Netns& ns, const std::string& ruleset) {
  LibNftables& l = lib();
  return run_in_netns(ns.fd(), ns.name(), [&]() -> core::Status {
    std::lock_guard lock(g_lib_mu);
    nft_ctx* ctx = l.ctx_new(0);
    if (ctx == nullptr)
      return core::unavailable("libnftables: cannot create a context in " + ns.name());
    l.buffer_output(ctx);
    l.buffer_error(ctx);
    int rc = l.run_cmd_from_buffer(ctx, ruleset.c_str());
    std::string err;
    if (rc != 0) {
      const char* text = l.get_error_buffer(ctx);  // call once: it rewinds the buffer
      err = trimmed(text ? text : "");
    }
    l.ctx_free(ctx);
    if (rc != 0) return core::unavailable("nftables ruleset rejected in " + ns.name() + ": " + err);
    return core::Status::ok();
  });
}

core::Status apply_with_process(Netns& ns, const std::string& ruleset) {
  Command cmd{{"nft", "-f", "-"}, ns.name()};
  auto r = run_command(cmd, ruleset, std::chrono::seconds(10));
  if (!r.is_ok()) return r.status();
  if (!r->status.success()) {
    return core::unavailable("nftables ruleset rejected in " + ns.name() + ": " +
                             r->failure_message("nft -f -"));
  }
  return core::Status::ok();
}

}  // namespace

core::Status apply_nft(Netns& ns, const std::string& ruleset) {
  if (!g_force_process && lib().ok()) return apply_with_library(ns, ruleset);
  return apply_with_process(ns, ruleset);
}

std::string nft_backend() {
  return (!g_force_process && lib().ok()) ? "libnftables" : "nft process";
}

void set_nft_force_process(bool force) { g_force_process = force; }

}  // namespace csim::agent
