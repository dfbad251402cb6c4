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

const SVG_NS = 'http://www.w3.org/2000/svg';

/**
 * The chart's <svg>. With a legend Plot returns a <figure>: swatch legends are small <svg>s inside
 * HTML labels and a ramp legend is an <svg> of its own, all before the chart, so the chart is the
 * largest <svg>, not the first.
 */
export function plotSvg(container: Element | null): SVGSVGElement | null {
  const area = (svg: SVGSVGElement) => svg.getBoundingClientRect().width * svg.getBoundingClientRect().height;
  const svgs = [...(container?.querySelectorAll('svg') ?? [])].filter((svg) => !svg.parentElement?.closest('svg'));
  return svgs.reduce<SVGSVGElement | null>((best, svg) => (!best || area(svg) > area(best) ? svg : best), null);
}

/**
 * The whole figure as one standalone SVG, laid out as on screen: the chart and its legends (each
 * <svg> placed at its offset in the container) and the legend swatches' labels as <text>. Without
 * the legend a saved dose-response plot would not say which line is which layer.
 */
export function figureSvg(container: Element | null): SVGSVGElement | null {
  const chart = plotSvg(container);
  if (!container || !chart) return null;
  const origin = container.getBoundingClientRect();
  const figure = document.createElementNS(SVG_NS, 'svg');
  let width = 0;
  let height = 0;
  for (const svg of container.querySelectorAll('svg')) {
    if (svg.parentElement?.closest('svg')) continue;
    const box = svg.getBoundingClientRect();
    const [x, y] = [box.left - origin.left, box.top - origin.top];
    const copy = svg.cloneNode(true) as SVGSVGElement;
    copy.setAttribute('x', String(x));
    copy.setAttribute('y', String(y));
    copy.setAttribute('width', String(box.width));
    copy.setAttribute('height', String(box.height));
    figure.append(copy);
    width = Math.max(width, x + box.width);
    height = Math.max(height, y + box.height);
    // A swatch: its label is the text of the HTML element around it.
    const label = svg === chart ? null : svg.parentElement;
    const text = label && label !== container && label.tagName !== 'FIGURE' ? (label.textContent ?? '').trim() : '';
    if (!text) continue;
    const style = getComputedStyle(label!);
    const node = document.createElementNS(SVG_NS, 'text');
    node.setAttribute('x', String(x + box.width + 4));
    node.setAttribute('y', String(y + box.height / 2));
    node.setAttribute('dominant-baseline', 'middle');
    node.setAttribute('font-family', style.fontFamily);
    node.setAttribute('font-size', style.fontSize);
    node.textContent = text;
    figure.append(node);
    const labelBox = label!.getBoundingClientRect();
    width = Math.max(width, labelBox.right - origin.left);
  }
  figure.setAttribute('width', String(Math.ceil(width)));
  figure.setAttribute('height', String(Math.ceil(height)));
  figure.setAttribute('viewBox', `0 0 ${Math.ceil(width)} ${Math.ceil(height)}`);
  return figure;
}

/** A standalone SVG document: namespaced, sized, on a white background. */
export function svgText(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement;
  const { width, height } = svgSize(svg);
  copy.setAttribute('xmlns', SVG_NS);
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
