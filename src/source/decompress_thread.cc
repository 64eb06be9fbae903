#include "source/decompress_thread.h"

#include <cerrno>

#include "source/archive_ptr.h"

namespace ckptfs {

namespace {

constexpr size_t kChunk = size_t{1} << 20;
constexpr size_t kChunksAhead = 4;  // bounds memory at ~5 MiB

struct Compressed {
  const Blob& blob;
  uint64_t pos = 0;
  std::vector<char> buf = std::vector<char>(kChunk);
  const std::function<void(uint64_t, uint64_t)>& progress;
  const std::function<void(const char*, size_t)>& observe;
};

// The compressed archive, read in chunks. Exceptions must not cross
// libarchive's C frames: a failed read becomes the archive's error message.
la_ssize_t read_compressed(archive* a, void* client, const void** out) {
  auto* s = static_cast<Compressed*>(client);
  size_t n = static_cast<size_t>(std::min<uint64_t>(s->buf.size(), s->blob.size() - s->pos));
  if (n == 0) return 0;
  try {
    s->blob.pread(s->buf.data(), n, s->pos);
  } catch (const std::exception& e) {
    archive_set_error(a, EIO, "%s", e.what());
    return ARCHIVE_FATAL;
  }
  s->pos += n;
  if (s->observe) s->observe(s->buf.data(), n);
  if (s->progress) s->progress(s->pos, s->blob.size());
  *out = s->buf.data();
  return static_cast<la_ssize_t>(n);
}

}  // namespace

DecompressThread::DecompressThread(const Blob& archive,
                                   std::function<void(uint64_t, uint64_t)> progress,
                                   std::function<void(const char*, size_t)> observe)
    : archive_(archive),
      progress_(std::move(progress)),
      observe_(std::move(observe)),
      thread_([this] { run(); }) {}

DecompressThread::~DecompressThread() {
  {
    std::lock_guard l(m_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void DecompressThread::finish(std::string error) {
  {
    std::lock_guard l(m_);
    done_ = true;
    error_ = std::move(error);
  }
  cv_.notify_all();
}

void DecompressThread::run() {
  ArchivePtr a(archive_read_new());
  if (!a) return finish("out of memory");
  // The "raw" format: the whole decompressed stream as one entry's data.
  archive_read_support_filter_all(a.get());
  archive_read_support_format_raw(a.get());
  Compressed in{archive_, 0, std::vector<char>(kChunk), progress_, observe_};
  archive_read_set_read_callback(a.get(), read_compressed);
  archive_read_set_callback_data(a.get(), &in);
  archive_entry* e = nullptr;
  if (archive_read_open1(a.get()) != ARCHIVE_OK ||
      archive_read_next_header(a.get(), &e) < ARCHIVE_WARN)
    return finish(archive_problem(a.get()));
  // Block by block (archive_read_data would drop the bytes before an error):
  // everything up to a truncation reaches the reader, then the error.
  for (;;) {
    std::vector<char> chunk;
    {
      std::unique_lock l(m_);
      cv_.wait(l, [&] { return stop_ || full_.size() < kChunksAhead; });
      if (stop_) return;
      if (!free_.empty()) {
        chunk = std::move(free_.back());
        free_.pop_back();
      }
    }
    chunk.clear();
    int r = ARCHIVE_OK;
    while (chunk.size() < kChunk) {
      const void* buf = nullptr;
      size_t len = 0;
      la_int64_t off = 0;
      r = archive_read_data_block(a.get(), &buf, &len, &off);
      if (r == ARCHIVE_EOF || r < ARCHIVE_WARN) break;
      chunk.insert(chunk.end(), static_cast<const char*>(buf), static_cast<const char*>(buf) + len);
    }
    if (!chunk.empty()) {
      std::lock_guard l(m_);
      full_.push_back(std::move(chunk));
    }
    cv_.notify_all();
    if (r == ARCHIVE_EOF) return finish("");
    if (r < ARCHIVE_WARN) return finish(archive_problem(a.get()));
  }
}

la_ssize_t DecompressThread::read(archive* a, void* client, const void** out) {
  auto* t = static_cast<DecompressThread*>(client);
  std::unique_lock l(t->m_);
  // libarchive is done with the buffer it was handed last time.
  if (t->current_.capacity()) t->free_.push_back(std::move(t->current_));
  t->current_ = {};
  t->cv_.notify_all();
  t->cv_.wait(l, [&] { return !t->full_.empty() || t->done_; });
  if (t->full_.empty()) {
    if (t->error_.empty()) return 0;
    archive_set_error(a, EIO, "%s", t->error_.c_str());
    return ARCHIVE_FATAL;
  }
  t->current_ = std::move(t->full_.front());
  t->full_.pop_front();
  t->cv_.notify_all();
  *out = t->current_.data();
  return static_cast<la_ssize_t>(t->current_.size());
}

}  // namespace ckptfs
