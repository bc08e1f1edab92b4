#pragma once
// Diagnostics: one named spdlog logger per module, all created here, all writing one line
// each to stderr as "hermetic-gate: LEVEL: MODULE: message". The level is the gate's (one
// for every module), warn unless --log-level, -v or HG_LOG_LEVEL say otherwise.
//
// Only diagnostics go through these loggers. What the gate reports to its user (violation
// lines, "hermetic-gate: error: ..." usage and policy errors, warnings and summaries) is
// printed with fmt in a fixed format, whatever the log level.

#include <optional>
#include <string_view>

#include <spdlog/logger.h>

namespace hg::log {

// The modules that log; each has its accessor below.
inline constexpr std::string_view kModules[] = {"cli", "policy", "tracer", "procpoll", "evidence"};

// The accepted level names, least to most severe, for --log-level and HG_LOG_LEVEL.
inline constexpr std::string_view kLevelNames[] = {"trace", "debug", "info", "warn", "error", "off"};

inline constexpr spdlog::level::level_enum kDefaultLevel = spdlog::level::warn;

// The logger named module, made on first use with the current level; the same one
// every time. Prefer the accessors, which cannot misspell a module.
spdlog::logger &get(std::string_view module);

inline spdlog::logger &cli() { return get("cli"); }
inline spdlog::logger &policy() { return get("policy"); }
inline spdlog::logger &tracer() { return get("tracer"); }
inline spdlog::logger &procpoll() { return get("procpoll"); }
inline spdlog::logger &evidence() { return get("evidence"); }

// One of kLevelNames -> its level; nullopt for anything else (no abbreviations, exact case).
std::optional<spdlog::level::level_enum> parseLevel(std::string_view name);

// Sets the level of every module's logger, those made already and those made later.
void setLevel(spdlog::level::level_enum level);

} // namespace hg::log
