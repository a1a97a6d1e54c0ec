/**
 * Page layout on top of pdfkit: headings, paragraphs, tables that break across pages with their
 * header repeated, vector SVG charts, and the "page n of N" footer. A4 portrait, 50 pt margins.
 */
import { join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import PDFDocument from 'pdfkit';
import SVGtoPDF from 'svg-to-pdfkit';

/** Set by the desktop app's main process before any report is written. */
export const RESOURCES_DIR_ENV = 'NEPENTHE_RESOURCES_DIR';

export const FONT = { regular: 'Sans', bold: 'Sans-Bold', mono: 'Mono' } as const;
const FONT_FILES: Readonly<Record<string, string>> = {
  [FONT.regular]: 'DejaVuSans.ttf',
  [FONT.bold]: 'DejaVuSans-Bold.ttf',
  [FONT.mono]: 'DejaVuSansMono.ttf',
};
/**
 * resources/fonts: DejaVu (Bitstream Vera licence, DejaVu-LICENSE.txt), full accented Latin.
 * Found beside the sources, except in the desktop app, whose bundled main process lives
 * elsewhere: it sets NEPENTHE_RESOURCES_DIR to its resources folder (packaged: resourcesPath).
 */
export function fontsDir(): string {
  const resources = process.env[RESOURCES_DIR_ENV];
  return resources
    ? join(resources, 'fonts') + sep
    : fileURLToPath(new URL('../../../resources/fonts/', import.meta.url));
}

const MARGIN = 50;
const FOOTER_HEIGHT = 24;
const CELL_PAD = 3;

export interface Column {
  readonly header: string;
  /** Points; the last column takes what is left when omitted. */
  readonly width?: number;
  readonly font?: string;
  readonly align?: 'left' | 'right' | 'center';
}

export interface TableOptions {
  readonly fontSize?: number;
  /** Per-row background, e.g. green/red for pass/fail. */
  readonly rowFill?: (row: number) => string | undefined;
}

export function createDocument(info: PDFKit.DocumentInfo): PDFKit.PDFDocument {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: MARGIN, left: MARGIN, right: MARGIN, bottom: MARGIN + FOOTER_HEIGHT },
    bufferPages: true,
    autoFirstPage: true,
    info,
    pdfVersion: '1.7',
    lang: 'en',
  });
  for (const [name, file] of Object.entries(FONT_FILES)) doc.registerFont(name, fontsDir() + file);
  doc.font(FONT.regular);
  return doc;
}

export class Layout {
  constructor(readonly doc: PDFKit.PDFDocument) {}

  get width(): number {
    return this.doc.page.width - this.doc.page.margins.left - this.doc.page.margins.right;
  }

  private get bottom(): number {
    return this.doc.page.height - this.doc.page.margins.bottom;
  }

  private get left(): number {
    return this.doc.page.margins.left;
  }

  /** Starts a new page unless `height` points still fit on this one. */
  ensureSpace(height: number): void {
    if (this.doc.y + height > this.bottom) this.doc.addPage();
  }

  newPage(): void {
    this.doc.addPage();
  }

  title(text: string): void {
    this.doc
      .font(FONT.bold)
      .fontSize(20)
      .fillColor('#000')
      .text(text, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.4);
  }

  heading(text: string): void {
    this.ensureSpace(60);
    this.doc.moveDown(0.6);
    this.doc
      .font(FONT.bold)
      .fontSize(13)
      .fillColor('#1d3d6b')
      .text(text, this.left, this.doc.y, { width: this.width });
    this.doc.moveDown(0.3);
    this.doc.fillColor('#000');
  }

  paragraph(text: string, size = 9.5, font: string = FONT.regular, color = '#000'): void {
    this.doc.font(font).fontSize(size).fillColor(color);
    this.ensureSpace(this.doc.heightOfString(text, { width: this.width }));
    this.doc.text(text, this.left, this.doc.y, { width: this.width });
    this.doc.fillColor('#000');
    this.doc.moveDown(0.3);
  }

  /** A paragraph with a bullet, indented: one point of a list. */
  bullet(text: string, size = 9.5): void {
    const indent = 12;
    this.doc.font(FONT.regular).fontSize(size).fillColor('#000');
    const height = this.doc.heightOfString(text, { width: this.width - indent });
    this.ensureSpace(height);
    const top = this.doc.y;
    this.doc.text('•', this.left + 2, top, { lineBreak: false });
    this.doc.text(text, this.left + indent, top, { width: this.width - indent });
    this.doc.moveDown(0.25);
  }

  /** A table; rows taller than the page's remaining space move to the next page, header repeated. */
  table(
    columns: readonly Column[],
    rows: ReadonlyArray<readonly string[]>,
    options: TableOptions = {},
  ): void {
    const doc = this.doc;
    const size = options.fontSize ?? 8.5;
    const fixed = columns.reduce((sum, c) => sum + (c.width ?? 0), 0);
    const widths = columns.map((c) => c.width ?? this.width - fixed);
    const rowHeight = (cells: readonly string[], bold: boolean) =>
      Math.max(
        ...cells.map((cell, i) => {
          doc.font(bold ? FONT.bold : (columns[i]?.font ?? FONT.regular)).fontSize(size);
          return doc.heightOfString(cell || ' ', { width: widths[i]! - 2 * CELL_PAD });
        }),
      ) +
      2 * CELL_PAD;
    const drawRow = (cells: readonly string[], bold: boolean, fill: string | undefined) => {
      const height = rowHeight(cells, bold);
      const top = doc.y;
      let x = this.left;
      if (fill) doc.rect(x, top, this.width, height).fill(fill);
      doc.fillColor('#000');
      cells.forEach((cell, i) => {
        doc.font(bold ? FONT.bold : (columns[i]?.font ?? FONT.regular)).fontSize(size);
        doc.text(cell, x + CELL_PAD, top + CELL_PAD, {
          width: widths[i]! - 2 * CELL_PAD,
          align: columns[i]?.align ?? 'left',
        });
        x += widths[i]!;
      });
      doc
        .moveTo(this.left, top + height)
        .lineTo(this.left + this.width, top + height)
        .lineWidth(0.4)
        .strokeColor('#b0b0b0')
        .stroke();
      doc.x = this.left;
      doc.y = top + height;
    };
    const header = columns.map((c) => c.header);
    this.ensureSpace(rowHeight(header, true) + rowHeight(rows[0] ?? header, false));
    drawRow(header, true, '#e4e9f0');
    rows.forEach((cells, r) => {
      if (doc.y + rowHeight(cells, false) > this.bottom) {
        doc.addPage();
        drawRow(header, true, '#e4e9f0');
      }
      drawRow(cells, false, options.rowFill?.(r) ?? (r % 2 === 1 ? '#f6f7f9' : undefined));
    });
    doc.moveDown(0.6);
  }

  /** Draws an SVG (an echarts chart) `width` × `height` points at the cursor, as vectors. */
  svg(svg: string, width: number, height: number): void {
    this.svgRow([svg], width, height);
  }

  /** SVGs side by side, each `width` × `height` points, centred as a row. */
  svgRow(svgs: readonly string[], width: number, height: number, gap = 10): void {
    this.ensureSpace(height);
    const total = svgs.length * width + (svgs.length - 1) * gap;
    svgs.forEach((svg, i) =>
      SVGtoPDF(
        this.doc,
        svg,
        this.left + (this.width - total) / 2 + i * (width + gap),
        this.doc.y,
        {
          width,
          height,
          assumePt: true,
          fontCallback: (_family, bold) => (bold ? FONT.bold : FONT.regular),
        },
      ),
    );
    this.doc.x = this.left;
    this.doc.y += height + 8;
  }

  /** Writes "<left text>" and "page n of N" at the foot of every page; call once, at the end. */
  footers(leftText: string): void {
    const doc = this.doc;
    const range = doc.bufferedPageRange();
    for (let i = range.start; i < range.start + range.count; i++) {
      doc.switchToPage(i);
      const bottomMargin = doc.page.margins.bottom;
      doc.page.margins.bottom = 0; // text below the margin would otherwise open a new page
      const y = doc.page.height - MARGIN - 10;
      doc
        .moveTo(this.left, y - 4)
        .lineTo(this.left + this.width, y - 4)
        .lineWidth(0.4)
        .strokeColor('#b0b0b0')
        .stroke();
      doc.font(FONT.regular).fontSize(8).fillColor('#555');
      doc.text(leftText, this.left, y, { width: this.width * 0.7, lineBreak: false });
      doc.text(`page ${i + 1} of ${range.count}`, this.left, y, {
        width: this.width,
        align: 'right',
        lineBreak: false,
      });
      doc.page.margins.bottom = bottomMargin;
    }
    doc.fillColor('#000');
  }
}
