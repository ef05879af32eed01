// nftables rulesets applied inside a network namespace, in one atomic transaction.
//
// csim loads the system's libnftables (the library behind `nft`, from the nftables
// package) at run time and runs the ruleset in-process on a thread that entered the
// namespace: about 0.3-5 ms, against 20-40 ms for an `nft -f -` process. Where the
// library cannot be loaded it runs `nft -f -` inside the namespace instead. Either way
// the error text is nft's own ("Error: syntax error ... ^^^").
//
// Thread-safe (libnftables calls are serialised by a global mutex).
#pragma once

#include <string>

#include "core/status.h"

namespace csim::agent {

class Netns;

// Runs `ruleset` (nft syntax) inside ns. To replace a table atomically, begin the text
// with "table ip T\ndelete table ip T\n" followed by the full table.
core::Status apply_nft(Netns& ns, const std::string& ruleset);

// Which way apply_nft works on this machine: "libnftables" or "nft process".
std::string nft_backend();

// For tests: force the `nft -f -` process path (true) or allow the library (false).
void set_nft_force_process(bool force);

}  // namespace csim::agent
