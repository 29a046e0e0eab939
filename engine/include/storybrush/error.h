// The one exception type the engine throws: its message names the file, tensor or field and says
// what to do, so callers can show it as it is.
#pragma once

#include <stdexcept>
#include <string>

namespace storybrush {

enum class ErrorKind {
    InvalidRequest,    // a value in the request is out of range or inconsistent
    ModelFile,         // a model file is missing, unreadable, corrupt or of a refused format
    UnsupportedModel,  // a readable model of a kind this engine cannot run (yet)
    Io,                // reading or writing a user's file failed (disk full, permissions)
    OutOfMemory,       // the device ran out of memory; a smaller size or batch may work
    Internal,          // a bug: the message says what was expected
};

class Error : public std::runtime_error {
public:
    Error(ErrorKind kind, const std::string& message) : std::runtime_error(message), m_kind(kind) {}
    ErrorKind kind() const noexcept { return m_kind; }

private:
    ErrorKind m_kind;
};

}  // namespace storybrush
