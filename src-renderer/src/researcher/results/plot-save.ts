// Saving a plot as SVG or PNG, and its data as CSV, without a server round trip. PNG: the SVG is
// drawn onto a canvas through an <img> loaded from a blob: URL (the CSP allows img-src blob:), so
// no inline script or data: navigation is needed.

/** Starts a download of `blob` as `fileName` (an <a download> click; the URL is revoked after). */
export function downloadBlob(blob: Blob, fileName: string): void {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

/** The plot's <svg> (Plot returns a <figure> around it when it draws a legend). */
export function plotSvg(container: Element | null): SVGSVGElement | null {
  return container?.querySelector('svg') ?? null;
}

/** A standalone SVG document: namespaced, sized, on a white background. */
export function svgText(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const { width, height } = svgSize(svg);
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  copy.setAttribute('width', String(width));
  copy.setAttribute('height', String(height));
  copy.style.background = 'white';
  return new XMLSerializer().serializeToString(copy);
}

function svgSize(svg: SVGSVGElement): { width: number; height: number } {
  const width = Number(svg.getAttribute('width')) || svg.viewBox.baseVal?.width || svg.clientWidth || 640;
  const height = Number(svg.getAttribute('height')) || svg.viewBox.baseVal?.height || svg.clientHeight || 400;
  return { width, height };
}

export function saveSvg(svg: SVGSVGElement, fileName: string): void {
  downloadBlob(new Blob([svgText(svg)], { type: 'image/svg+xml' }), fileName);
}

/** Renders the SVG at `scale`× onto a white canvas and downloads it as PNG. */
export async function savePng(svg: SVGSVGElement, fileName: string, scale = 2): Promise<void> {
  const { width, height } = svgSize(svg);
  const url = URL.createObjectURL(new Blob([svgText(svg)], { type: 'image/svg+xml' }));
  try {
    const image = new Image();
    await new Promise<void>((resolve, reject) => {
      image.onload = () => resolve();
      image.onerror = () => reject(new Error('the plot could not be drawn as an image'));
      image.src = url;
    });
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const context = canvas.getContext('2d');
    if (!context) throw new Error('no 2D canvas available');
    context.fillStyle = 'white';
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(image, 0, 0, canvas.width, canvas.height);
    const png = await new Promise<Blob | null>((resolve) => canvas.toBlob(resolve, 'image/png'));
    if (!png) throw new Error('the canvas gave no PNG');
    downloadBlob(png, fileName);
  } finally {
    URL.revokeObjectURL(url);
  }
}

export function saveCsv(text: string, fileName: string): void {
  downloadBlob(new Blob([text], { type: 'text/csv;charset=utf-8' }), fileName);
}
