#include "vfs/views/elf_core.h"

#include <elf.h>

#include <cstring>

#include "vfs/views/elf_notes.h"

namespace ckptfs {

namespace {

Elf64_Word segment_flags(uint32_t prot) {
  // PROT_READ 1, PROT_WRITE 2, PROT_EXEC 4 -> PF_R 4, PF_W 2, PF_X 1.
  return ((prot & 1) ? PF_R : 0) | ((prot & 2) ? PF_W : 0) | ((prot & 4) ? PF_X : 0);
}

template <typename T>
void append(std::string& b, const T& v) {
  b.append(reinterpret_cast<const char*>(&v), sizeof v);
}

}  // namespace

bool dumped_in_core(const Vma& v) {
  return v.kind != VmaKind::Vsyscall && v.end <= kUserAddressEnd;
}

ElfCoreLayout layout_elf_core(const Process& p) {
  std::vector<const Vma*> vmas;
  for (const Vma& v : p.vmas)
    if (dumped_in_core(v)) vmas.push_back(&v);
  std::string notes = build_core_notes(p);

  uint64_t phnum = 1 + vmas.size();
  // More than 65534 program headers do not fit e_phnum: like the kernel,
  // say PN_XNUM and keep the real count in section header 0's sh_info.
  bool extnum = phnum >= PN_XNUM;
  uint64_t notes_offset =
      sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr) + (extnum ? sizeof(Elf64_Shdr) : 0);
  uint64_t data_offset = (notes_offset + notes.size() + kPageSize - 1) / kPageSize * kPageSize;

  ElfCoreLayout out;
  out.segments.reserve(vmas.size());
  uint64_t off = data_offset;
  for (const Vma* v : vmas) {
    out.segments.push_back({off, v->start, v->size()});
    off += v->size();  // VMA sizes are whole pages: every segment stays aligned
  }
  out.size = vmas.empty() ? notes_offset + notes.size() : off;

  Elf64_Ehdr eh{};
  std::memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
  eh.e_type = ET_CORE;
  eh.e_machine = EM_X86_64;
  eh.e_version = EV_CURRENT;
  eh.e_phoff = sizeof(Elf64_Ehdr);
  eh.e_ehsize = sizeof(Elf64_Ehdr);
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = extnum ? PN_XNUM : static_cast<Elf64_Half>(phnum);
  if (extnum) {
    eh.e_shoff = sizeof(Elf64_Ehdr) + phnum * sizeof(Elf64_Phdr);
    eh.e_shentsize = sizeof(Elf64_Shdr);
    eh.e_shnum = 1;
  }

  std::string& h = out.head;
  h.reserve(notes_offset + notes.size());
  append(h, eh);
  Elf64_Phdr note{};
  note.p_type = PT_NOTE;
  note.p_offset = notes_offset;
  note.p_filesz = notes.size();
  note.p_align = 4;
  append(h, note);
  for (size_t i = 0; i < vmas.size(); ++i) {
    Elf64_Phdr ph{};
    ph.p_type = PT_LOAD;
    ph.p_flags = segment_flags(vmas[i]->prot);
    ph.p_offset = out.segments[i].offset;
    ph.p_vaddr = vmas[i]->start;
    ph.p_filesz = ph.p_memsz = vmas[i]->size();
    ph.p_align = kPageSize;
    append(h, ph);
  }
  if (extnum) {
    Elf64_Shdr sh{};
    sh.sh_type = SHT_NULL;
    sh.sh_info = static_cast<Elf64_Word>(phnum);
    append(h, sh);
  }
  h += notes;
  return out;
}

}  // namespace ckptfs
